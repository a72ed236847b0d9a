// The SSRF guard's address test: which resolved socket addresses an outgoing connection may
// not reach when the operator has not allowed private addresses (ALLOW_PRIVATE_URLS=false).
// CurlHttpClient applies it to the address curl is about to connect to, on every hop, so a
// host name that resolves (or re-resolves) to a private address is refused as well.
// Pure functions, thread-safe.
#pragma once

#include <sys/socket.h>

#include <string>

namespace vg::net {

// True when `address` (AF_INET or AF_INET6; the storage behind it must be as large as that
// family's sockaddr_in / sockaddr_in6) is one a public fetch must not reach:
//   IPv4: 0.0.0.0/8 (unspecified, "this network"), 10/8, 100.64/10 (CGNAT), 127/8,
//         169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4 (multicast),
//         240/4 and 255.255.255.255 (reserved, broadcast);
//   IPv6: ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, and the IPv4 forms embedded in
//         IPv6 (::ffff:a.b.c.d mapped, ::a.b.c.d compatible, 64:ff9b::/96 NAT64,
//         2002::/16 6to4) when the embedded IPv4 address is one of the above.
// Any other family counts as private (refused).
bool IsPrivateAddress(const sockaddr& address);

// "127.0.0.1", "::1", "::ffff:10.0.0.1"; "unknown address" for other families.
std::string AddressToString(const sockaddr& address);

// The port of an AF_INET/AF_INET6 address in host order; 0 for other families.
int AddressPort(const sockaddr& address);

}  // namespace vg::net
