// IsPrivateAddress over every range the SSRF guard refuses, and public neighbours that pass.
#include "net/address_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

namespace vg::net {
namespace {

// Builds a sockaddr for a textual IPv4 or IPv6 address and classifies it.
bool Private(const std::string& text) {
  sockaddr_storage storage{};
  auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
  } else {
    ADD_FAILURE() << "bad test address " << text;
  }
  return IsPrivateAddress(*reinterpret_cast<sockaddr*>(&storage));
}

TEST(AddressGuardTest, RefusesEveryPrivateIpv4Range) {
  for (const char* address : {"127.0.0.1",       "127.255.255.254",  // loopback
                              "10.0.0.1",        "10.255.255.255",   // 10/8
                              "172.16.0.1",      "172.31.255.255",   // 172.16/12
                              "192.168.0.1",     "192.168.255.255",  // 192.168/16
                              "169.254.169.254", "169.254.0.1",      // link-local, cloud metadata
                              "0.0.0.0",         "0.1.2.3",          // unspecified, this network
                              "100.64.0.1",      "100.127.255.255",  // CGNAT
                              "224.0.0.1",       "239.255.255.255",  // multicast
                              "240.0.0.1",       "255.255.255.255",  // reserved, broadcast
                              "192.0.0.8",       "198.18.0.1",      "198.19.255.255"}) {
    EXPECT_TRUE(Private(address)) << address;
  }
}

TEST(AddressGuardTest, AllowsPublicIpv4NextToPrivateRanges) {
  for (const char* address :
       {"8.8.8.8", "1.1.1.1", "11.0.0.1", "9.255.255.255", "172.15.255.255", "172.32.0.0",
        "192.167.255.255", "192.169.0.0", "169.253.255.255", "169.255.0.0", "100.63.255.255",
        "100.128.0.0", "126.255.255.255", "128.0.0.1", "223.255.255.255", "198.17.255.255",
        "198.20.0.0", "192.0.1.1", "93.184.216.34"}) {
    EXPECT_FALSE(Private(address)) << address;
  }
}

TEST(AddressGuardTest, RefusesPrivateIpv6) {
  for (const char* address : {"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1",
                              "fec0::1", "ff02::1", "ff0e::1"}) {
    EXPECT_TRUE(Private(address)) << address;
  }
}

TEST(AddressGuardTest, AllowsPublicIpv6) {
  for (const char* address :
       {"2001:4860:4860::8888", "2606:4700::1111", "fbff::1", "fe00::1", "2a00:1450::1"}) {
    EXPECT_FALSE(Private(address)) << address;
  }
}

TEST(AddressGuardTest, JudgesIpv4EmbeddedInIpv6ByTheIpv4Address) {
  // IPv4-mapped: the kernel connects to the IPv4 address itself.
  EXPECT_TRUE(Private("::ffff:127.0.0.1"));
  EXPECT_TRUE(Private("::ffff:10.1.2.3"));
  EXPECT_TRUE(Private("::ffff:169.254.169.254"));
  EXPECT_TRUE(Private("::ffff:0.0.0.0"));
  EXPECT_TRUE(Private("::ffff:100.64.1.1"));
  EXPECT_FALSE(Private("::ffff:8.8.8.8"));
  // IPv4-compatible, NAT64 and 6to4 forms.
  EXPECT_TRUE(Private("::127.0.0.1"));
  EXPECT_TRUE(Private("64:ff9b::192.168.1.1"));
  EXPECT_FALSE(Private("64:ff9b::8.8.8.8"));
  EXPECT_TRUE(Private("2002:7f00:1::"));
  EXPECT_TRUE(Private("2002:a9fe:a9fe::1"));
  EXPECT_FALSE(Private("2002:0808:0808::1"));
}

TEST(AddressGuardTest, OtherFamiliesAreRefusedAndAddressesPrint) {
  sockaddr_storage storage{};
  storage.ss_family = AF_UNIX;
  EXPECT_TRUE(IsPrivateAddress(*reinterpret_cast<sockaddr*>(&storage)));
  EXPECT_EQ(AddressToString(*reinterpret_cast<sockaddr*>(&storage)), "unknown address");

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(8443);
  inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr);
  EXPECT_EQ(AddressToString(*reinterpret_cast<sockaddr*>(&in6)), "::ffff:10.0.0.1");
  EXPECT_EQ(AddressPort(*reinterpret_cast<sockaddr*>(&in6)), 8443);
}

}  // namespace
}  // namespace vg::net
