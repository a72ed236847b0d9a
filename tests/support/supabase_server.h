// Test fixture: tests/storage_supabase/supabase_server.mjs — a Node stand-in for Supabase
// Storage behind its gateway (auth headers, error shapes, TUS, signed URLs) — on a free
// loopback port with its data under a caller's folder, killed by pid. The script prints
// "READY {port, serviceRoleKey, secretKey}" once it serves. Thread safety: one test thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace vg::testing {

class SupabaseServer {
 public:
  // Starts the server with `extra_args` (see the script's header) and waits up to 20 s for
  // READY; ready() tells whether it came up.
  SupabaseServer(const std::filesystem::path& root, std::vector<std::string> extra_args = {});
  ~SupabaseServer();  // Kill()
  SupabaseServer(const SupabaseServer&) = delete;
  SupabaseServer& operator=(const SupabaseServer&) = delete;

  bool ready() const { return port_ != 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& service_role_key() const { return service_role_key_; }  // a project JWT
  const std::string& secret_key() const { return secret_key_; }              // sb_secret_…
  std::string output() const { return process_->output(); }
  void Kill();  // SIGKILL, then waits

  static std::string Script();  // the script's path (compiled in by CMake)

 private:
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
  std::string service_role_key_;
  std::string secret_key_;
};

}  // namespace vg::testing
