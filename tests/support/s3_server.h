// Test fixture: a real S3 server for tests — s3rver (npm) behind the verifying front
// ../shared/tools/s3-strict (SigV4, payload hashes and multipart rules checked as S3 does), or
// plain s3rver — on free loopback ports, its data in a caller's folder, killed by pid. One
// bucket, "videos". Thread safety: one test thread drives it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/subprocess.h"

namespace vg::testing {

class S3Server {
 public:
  enum class Kind { kStrict, kPlain };
  static constexpr char kBucket[] = "videos";

  S3Server(Kind kind, std::string data_dir);
  ~S3Server();  // Kill()
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // Starts (or starts again, on the same ports and data) and waits until it answers.
  ::testing::AssertionResult Start();
  void Kill();  // SIGKILL, then waits

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string output() const { return process_ ? process_->output() : ""; }
  // The credentials the server accepts (plain s3rver has one fixed pair).
  std::string access_key() const;
  std::string secret() const;

  // Where the project's Node test packages and s3-strict are (compiled in by CMake).
  static std::string NodeModules();
  static std::string StrictScript();

 private:
  Kind kind_;
  std::string data_dir_;
  int port_ = 0;
  int upstream_port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace vg::testing
