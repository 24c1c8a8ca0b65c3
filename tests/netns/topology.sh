#!/usr/bin/env bash
# Builds (up) or removes (down) the NAT test network, all in namespaces named
# PREFIX-*. Test hosts only: nothing here routes outside the namespaces.
#
#   PREFIX-h1 (alice, 10.201.1.2) --+
#                                    +-- lan0 (LAN) -- PREFIX-r1 (NAT) --+
#   PREFIX-h3 (dave,  10.201.1.3) --+                                   |
#                                                                        +-- PREFIX-pub (directory, forwards) -- PREFIX-p1 (carol, 10.200.3.2)
#   PREFIX-h2 (bob,   10.202.1.2) -------------- PREFIX-r2 (NAT) --+
#                                                                        |
#   PREFIX-h4 (erin,  10.203.1.2) -------------- PREFIX-r3 (NAT) --+
#
# r1, r2 and r3 masquerade their homes behind 10.200.1.2, 10.200.2.2 and
# 10.200.4.2 and drop every connection that starts outside, as a home router
# does. r1 and r2 keep a connection's source port where they can (Linux's
# masquerade), so a TCP hole punch between them works; r3 picks a random port
# for every connection (masquerade random), so no punch through it can. On
# r1's LAN, the direct path between alice and dave is slow (300 ms each way,
# below), while their way to the directory stays fast. Between the homes, what
# pub forwards from one router to another waits DELAY_MS (default 20) each way
# in tests/netns/delay_link.ts (started by the test) on the TUN device dly0:
# this kernel has no netem.
set -euo pipefail
action=$1
p=$2

NAMESPACES="pub r1 r2 r3 h1 h2 h3 h4 p1"
down() {
  for ns in $NAMESPACES; do ip netns del "$p-$ns" 2>/dev/null || true; done
}

if [ "$action" = down ]; then down; exit 0; fi
down
for ns in $NAMESPACES; do
  ip netns add "$p-$ns"
  ip -n "$p-$ns" link set lo up
done

link() { # link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
  ip -n "$p-$1" link add "$2" type veth peer name "$5" netns "$p-$4"
  ip -n "$p-$1" addr add "$3" dev "$2"
  ip -n "$p-$4" addr add "$6" dev "$5"
  ip -n "$p-$1" link set "$2" up
  ip -n "$p-$4" link set "$5" up
}
link pub pub-r1 10.200.1.1/24 r1 r1-pub 10.200.1.2/24
link pub pub-r2 10.200.2.1/24 r2 r2-pub 10.200.2.2/24
link pub pub-p1 10.200.3.1/24 p1 p1-pub 10.200.3.2/24
link pub pub-r3 10.200.4.1/24 r3 r3-pub 10.200.4.2/24
link r2 r2-h2 10.202.1.1/24 h2 h2-r2 10.202.1.2/24
link r3 r3-h4 10.203.1.1/24 h4 h4-r3 10.203.1.2/24

# r1's LAN: a bridge with the router, alice and dave on it.
ip -n "$p-r1" link add lan0 type bridge
ip -n "$p-r1" addr add 10.201.1.1/24 dev lan0
ip -n "$p-r1" link set lan0 up
for host in h1:10.201.1.2 h3:10.201.1.3; do
  ns=${host%%:*}
  addr=${host#*:}
  ip -n "$p-r1" link add "r1-$ns" type veth peer name "$ns-r1" netns "$p-$ns"
  ip -n "$p-r1" link set "r1-$ns" master lan0 up
  ip -n "$p-$ns" addr add "$addr/24" dev "$ns-r1"
  ip -n "$p-$ns" link set "$ns-r1" up
  ip -n "$p-$ns" route add default via 10.201.1.1
done
# The slow direct path between alice and dave: each listens on a second address (alice
# 10.201.1.22:17002, dave 10.201.1.33:17001), and what arrives for it is redirected to
# tests/netns/slow_proxy.ts (started by the test) on port 17000 of the host's first address,
# which passes it on after 300 ms each way. (This kernel has no netem; a delaying proxy in each
# home gives the same slow-but-working direct path, and leaves the way to the directory fast.)
for host in h1:10.201.1.2:10.201.1.22:17002 h3:10.201.1.3:10.201.1.33:17001; do
  IFS=: read -r ns first second port <<<"$host"
  ip -n "$p-$ns" addr add "$second/24" dev "$ns-r1"
  ip netns exec "$p-$ns" nft -f - <<NFT
table ip slow {
  chain prerouting { type nat hook prerouting priority -100; ip daddr $second tcp dport $port dnat to $first:17000; }
}
NFT
done

ip netns exec "$p-pub" sysctl -qw net.ipv4.ip_forward=1
ip -n "$p-p1" route add default via 10.200.3.1
ip -n "$p-h2" route add default via 10.202.1.1
ip -n "$p-h4" route add default via 10.203.1.1
for router in 1:10.200.1.1:lan0: 2:10.200.2.1:r2-h2: 3:10.200.4.1:r3-h4:random; do
  IFS=: read -r i gateway lan ports <<<"$router"
  ip -n "$p-r$i" route add default via "$gateway"
  ip netns exec "$p-r$i" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$p-r$i" nft -f - <<NFT
table ip nat {
  chain postrouting { type nat hook postrouting priority 100; oifname "r$i-pub" masquerade $ports; }
}
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "$lan" accept
  }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "r$i-pub" tcp dport != 0 ct state new drop
  }
}
NFT
done

# The delay between the homes: pub routes what one router sends to another's network into the
# TUN device dly0, whose reader (delay_link.ts) writes each packet back DELAY_MS later; a packet
# coming back out of dly0 is routed by the main table, to the other router. The way from each
# home to the directory (pub itself) and to carol is not delayed.
ip -n "$p-pub" tuntap add dev dly0 mode tun
ip -n "$p-pub" link set dly0 up
for conf in all default dly0; do ip netns exec "$p-pub" sysctl -qw "net.ipv4.conf.$conf.rp_filter=0"; done
ip -n "$p-pub" route add default dev dly0 table 100
for from in 1:10.200.1.2 2:10.200.2.2 3:10.200.4.2; do
  for to in 10.200.1.2 10.200.2.2 10.200.4.2; do
    [ "${from#*:}" = "$to" ] || ip -n "$p-pub" rule add iif "pub-r${from%%:*}" to "$to/32" lookup 100
  done
done
