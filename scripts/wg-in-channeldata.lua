-- tshark's STUN dissector shows a TURN ChannelData payload as bare data;
-- this heuristic hands it to tshark's own WireGuard dissector when it
-- starts like a WireGuard message (type 1-4, three zero bytes).
-- Use: tshark -X lua_script:scripts/wg-in-channeldata.lua ...
local wg = Dissector.get("wg")
local p = Proto("wgturn_cd", "WireGuard in TURN ChannelData")
p:register_heuristic("stun", function(tvb, pinfo, tree)
	if tvb:len() < 4 then return false end
	local t = tvb(0, 1):uint()
	if t < 1 or t > 4 or tvb(1, 3):uint() ~= 0 then return false end
	wg:call(tvb, pinfo, tree)
	return true
end)
