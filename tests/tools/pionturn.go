// SPDX-License-Identifier: GPL-2.0
//
// pionturn: a TURN server built on Pion's library (Debian's
// golang-github-pion-turn.v2-dev), for the end-to-end tests. Pion behaves
// unlike coturn where wgturn must cope: after a restart it answers a
// Refresh for an allocation it lost with silence, not 437; and it relays
// IPv4 only, whatever REQUESTED-ADDRESS-FAMILY asks for.
//
//	pionturn -listen IP:PORT -relay IP -realm R -user NAME=PASSWORD
//
// Prints "listening IP:PORT" once ready; runs until SIGTERM or SIGINT.
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
	listen := flag.String("listen", "", "address and port to listen on (UDP)")
	relay := flag.String("relay", "", "relayed address handed out")
	realm := flag.String("realm", "", "realm")
	user := flag.String("user", "", "NAME=PASSWORD")
	flag.Parse()

	name, pass, found := strings.Cut(*user, "=")
	relayIP := net.ParseIP(*relay)
	if *listen == "" || relayIP == nil || *realm == "" || !found {
		fmt.Fprintln(os.Stderr, "usage: pionturn -listen IP:PORT -relay IP -realm R -user NAME=PASSWORD")
		os.Exit(2)
	}
	key := turn.GenerateAuthKey(name, *realm, pass)

	conn, err := net.ListenPacket("udp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pionturn: listen %s: %v\n", *listen, err)
		os.Exit(1)
	}
	server, err := turn.NewServer(turn.ServerConfig{
		Realm: *realm,
		AuthHandler: func(u, r string, src net.Addr) ([]byte, bool) {
			return key, u == name
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: relayIP,
				Address:      "0.0.0.0",
			},
		}},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pionturn: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening %s\n", conn.LocalAddr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	if err := server.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pionturn: close: %v\n", err)
		os.Exit(1)
	}
}
