#!/usr/bin/env bash
# Builds (up) or removes (down) the NAT test network, all in namespaces named
# PREFIX-*. Test hosts only: nothing here routes outside the namespaces.
#
#   PREFIX-h1 (alice, 10.201.1.2) -- PREFIX-r1 (NAT) --+
#                                                        +-- PREFIX-pub (directory, forwards) -- PREFIX-p1 (carol, 10.200.3.2)
#   PREFIX-h2 (bob,   10.202.1.2) -- PREFIX-r2 (NAT) --+
#
# r1 and r2 masquerade their homes behind 10.200.1.2 and 10.200.2.2 and drop
# every connection that starts outside, as a home router does.
set -euo pipefail
action=$1
p=$2

down() {
  for ns in pub r1 r2 h1 h2 p1; do ip netns del "$p-$ns" 2>/dev/null || true; done
}

if [ "$action" = down ]; then down; exit 0; fi
down
for ns in pub r1 r2 h1 h2 p1; do
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
link r1 r1-h1 10.201.1.1/24 h1 h1-r1 10.201.1.2/24
link r2 r2-h2 10.202.1.1/24 h2 h2-r2 10.202.1.2/24

ip netns exec "$p-pub" sysctl -qw net.ipv4.ip_forward=1
ip -n "$p-p1" route add default via 10.200.3.1
for i in 1 2; do
  ip -n "$p-r$i" route add default via "10.200.$i.1"
  ip -n "$p-h$i" route add default via "10.20$i.1.1"
  ip netns exec "$p-r$i" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$p-r$i" nft -f - <<NFT
table ip nat {
  chain postrouting { type nat hook postrouting priority 100; oifname "r$i-pub" masquerade; }
}
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "r$i-h$i" accept
  }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "r$i-pub" tcp dport != 0 ct state new drop
  }
}
NFT
done
