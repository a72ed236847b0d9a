// S3Server (see s3_server.h).
#include "support/s3_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "support/redis_server.h"

namespace vg::testing {
namespace {

constexpr char kStrictAccessKey[] = "AKIASTRICTTEST000001";
constexpr char kStrictSecret[] = "strict/Secret+Key=0123456789abcdefghij";

bool WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

bool PortOpen(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return open;
}

}  // namespace

std::string S3Server::NodeModules() { return VG_TEST_NODE_MODULES; }
std::string S3Server::StrictScript() { return VG_TEST_S3_STRICT_SCRIPT; }

S3Server::S3Server(Kind kind, std::string data_dir) : kind_(kind), data_dir_(std::move(data_dir)) {
  port_ = FreeLoopbackPort();
  upstream_port_ = FreeLoopbackPort();
}

S3Server::~S3Server() { Kill(); }

std::string S3Server::access_key() const {
  return kind_ == Kind::kStrict ? kStrictAccessKey : "S3RVER";
}
std::string S3Server::secret() const { return kind_ == Kind::kStrict ? kStrictSecret : "S3RVER"; }

::testing::AssertionResult S3Server::Start() {
  std::vector<std::string> argv;
  if (kind_ == Kind::kStrict) {
    argv = {"node",       StrictScript(),  "--dir",
            data_dir_,    "--bucket",      kBucket,
            "--port",     std::to_string(port_), "--upstream-port",
            std::to_string(upstream_port_),  "--access-key",  kStrictAccessKey,
            "--secret-key", kStrictSecret, "--region",
            "us-east-1"};
  } else {
    argv = {"node", NodeModules() + "/s3rver/bin/s3rver.js", "-d", data_dir_, "-a", "127.0.0.1",
            "-p", std::to_string(port_), "--configure-bucket", kBucket, "--no-vhost-buckets",
            "-s"};
  }
  // s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (and so
  // Node 20) only offers in its legacy provider: without it every second page is a 500.
  process_ = std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"NODE_PATH", NodeModules()},
                                               {"NODE_OPTIONS", "--openssl-legacy-provider"}});
  const bool up = WaitUntil(
      [&] {
        if (!process_->running()) return true;
        return kind_ == Kind::kStrict
                   ? process_->output().find("s3-strict listening") != std::string::npos
                   : PortOpen(port_);
      },
      30000);
  if (!up || !process_->running()) {
    return ::testing::AssertionFailure() << "S3 server did not start:\n" << process_->output();
  }
  return ::testing::AssertionSuccess();
}

void S3Server::Kill() {
  if (process_) {
    process_->Kill(SIGKILL);
    process_->Wait(10000);
  }
}

}  // namespace vg::testing
