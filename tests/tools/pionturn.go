// SPDX-License-Identifier: GPL-2.0
//
// pionturn: a TURN server built on Pion's library (Debian's
// golang-github-pion-turn.v2-dev), for the end-to-end tests. Pion behaves
// unlike coturn where wgturn must cope: after a restart it answers a
// Refresh for an allocation it lost with silence, not 437; and it relays
// IPv4 only, whatever REQUESTED-ADDRESS-FAMILY asks for.
//
//	pionturn -listen IP:PORT[,IP:PORT...] -relay IP -realm R -user NAME=PASSWORD
//
// Prints "listening IP:PORT" per address once ready; runs until SIGTERM
// or SIGINT.
// PION_LOG_DEBUG=all (Pion's own variable) logs every request.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pion/turn/v2"
)

func main() {
	listen := flag.String("listen", "", "addresses and ports to listen on (UDP), comma-separated")
	relay := flag.String("relay", "", "relayed address handed out")
	realm := flag.String("realm", "", "realm")
	user := flag.String("user", "", "NAME=PASSWORD")
	flag.Parse()

	name, pass, found := strings.Cut(*user, "=")
	relayIP := net.ParseIP(*relay)
	if *listen == "" || relayIP == nil || *realm == "" || !found {
		fmt.Fprintln(os.Stderr, "usage: pionturn -listen IP:PORT[,IP:PORT...] -relay IP -realm R -user NAME=PASSWORD")
		os.Exit(2)
	}
	key := turn.GenerateAuthKey(name, *realm, pass)

	// Every listener hands out relayed addresses of relayIP's family,
	// whatever the client asked for.
	var conns []turn.PacketConnConfig
	for _, addr := range strings.Split(*listen, ",") {
		conn, err := net.ListenPacket("udp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pionturn: listen %s: %v\n", addr, err)
			os.Exit(1)
		}
		conns = append(conns, turn.PacketConnConfig{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: relayIP,
				Address:      "0.0.0.0",
			},
		})
	}
	server, err := turn.NewServer(turn.ServerConfig{
		Realm: *realm,
		AuthHandler: func(u, r string, src net.Addr) ([]byte, bool) {
			return key, u == name
		},
		PacketConnConfigs: conns,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pionturn: %v\n", err)
		os.Exit(1)
	}
	for _, c := range conns {
		fmt.Printf("listening %s\n", c.PacketConn.LocalAddr())
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	if err := server.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pionturn: close: %v\n", err)
		os.Exit(1)
	}
}
