// Address classification for the SSRF guard: IPv4 ranges by prefix, IPv6 ranges by prefix, and
// IPv6 forms that carry an IPv4 address judged by that address.
#include "net/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace vg::net {
namespace {

struct Ipv4Range {
  uint32_t network;
  int prefix_bits;
};

constexpr uint32_t Ipv4(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) |
         (static_cast<uint32_t>(c) << 8) | static_cast<uint32_t>(d);
}

constexpr std::array<Ipv4Range, 12> kPrivateIpv4 = {{
    {Ipv4(0, 0, 0, 0), 8},           // unspecified / "this network"
    {Ipv4(10, 0, 0, 0), 8},          // private
    {Ipv4(100, 64, 0, 0), 10},       // carrier-grade NAT
    {Ipv4(127, 0, 0, 0), 8},         // loopback
    {Ipv4(169, 254, 0, 0), 16},      // link-local (cloud metadata lives here)
    {Ipv4(172, 16, 0, 0), 12},       // private
    {Ipv4(192, 0, 0, 0), 24},        // IETF protocol assignments
    {Ipv4(192, 168, 0, 0), 16},      // private
    {Ipv4(198, 18, 0, 0), 15},       // benchmarking
    {Ipv4(224, 0, 0, 0), 4},         // multicast
    {Ipv4(240, 0, 0, 0), 4},         // reserved
    {Ipv4(255, 255, 255, 255), 32},  // broadcast (inside 240/4, listed for clarity)
}};

// `host_order` is the address as a number (127.0.0.1 = 0x7f000001).
bool IsPrivateIpv4(uint32_t host_order) {
  for (const Ipv4Range& range : kPrivateIpv4) {
    const uint32_t mask = range.prefix_bits == 0 ? 0 : ~uint32_t{0} << (32 - range.prefix_bits);
    if ((host_order & mask) == (range.network & mask)) return true;
  }
  return false;
}

uint32_t Ipv4FromBytes(const uint8_t* bytes) {
  return (static_cast<uint32_t>(bytes[0]) << 24) | (static_cast<uint32_t>(bytes[1]) << 16) |
         (static_cast<uint32_t>(bytes[2]) << 8) | static_cast<uint32_t>(bytes[3]);
}

bool AllZero(const uint8_t* bytes, int count) {
  for (int i = 0; i < count; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

bool IsPrivateIpv6(const uint8_t* b) {
  // :: and ::1.
  if (AllZero(b, 15) && (b[15] == 0 || b[15] == 1)) return true;
  // ::ffff:a.b.c.d (IPv4-mapped): the kernel connects to the IPv4 address.
  if (AllZero(b, 10) && b[10] == 0xff && b[11] == 0xff) return IsPrivateIpv4(Ipv4FromBytes(b + 12));
  // ::a.b.c.d (deprecated IPv4-compatible).
  if (AllZero(b, 12)) return IsPrivateIpv4(Ipv4FromBytes(b + 12));
  // 64:ff9b::/96 (NAT64 well-known prefix): a gateway would forward to the IPv4 address.
  static constexpr uint8_t kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, sizeof(kNat64)) == 0) return IsPrivateIpv4(Ipv4FromBytes(b + 12));
  // 2002::/16 (6to4): the IPv4 address sits in bits 16..47.
  if (b[0] == 0x20 && b[1] == 0x02) return IsPrivateIpv4(Ipv4FromBytes(b + 2));
  if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;  // fec0::/10 site-local
  if (b[0] == 0xff) return true;                           // ff00::/8 multicast
  return false;
}

}  // namespace

bool IsPrivateAddress(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    sockaddr_in in4;
    std::memcpy(&in4, &address, sizeof(in4));
    return IsPrivateIpv4(ntohl(in4.sin_addr.s_addr));
  }
  if (address.sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &address, sizeof(in6));
    return IsPrivateIpv6(in6.sin6_addr.s6_addr);
  }
  return true;
}

std::string AddressToString(const sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.sa_family == AF_INET) {
    sockaddr_in in4;
    std::memcpy(&in4, &address, sizeof(in4));
    if (inet_ntop(AF_INET, &in4.sin_addr, text, sizeof(text)) != nullptr) return text;
  } else if (address.sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &address, sizeof(in6));
    if (inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text)) != nullptr) return text;
  }
  return "unknown address";
}

int AddressPort(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    sockaddr_in in4;
    std::memcpy(&in4, &address, sizeof(in4));
    return ntohs(in4.sin_port);
  }
  if (address.sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &address, sizeof(in6));
    return ntohs(in6.sin6_port);
  }
  return 0;
}

}  // namespace vg::net
