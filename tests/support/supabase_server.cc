// SupabaseServer (see supabase_server.h).
#include "support/supabase_server.h"

#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace vg::testing {

std::string SupabaseServer::Script() { return VG_TEST_SUPABASE_SERVER_SCRIPT; }

SupabaseServer::SupabaseServer(const std::filesystem::path& root,
                               std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {"node", Script(), "--root", root.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Subprocess>(argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    const std::string output = process_->output();
    const size_t at = output.find("READY ");
    const size_t end = at == std::string::npos ? at : output.find('\n', at);
    if (end != std::string::npos) {
      const auto ready = nlohmann::json::parse(output.substr(at + 6, end - at - 6), nullptr,
                                               /*allow_exceptions=*/false);
      if (ready.is_object()) {
        port_ = ready.value("port", 0);
        service_role_key_ = ready.value("serviceRoleKey", "");
        secret_key_ = ready.value("secretKey", "");
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

SupabaseServer::~SupabaseServer() { Kill(); }

void SupabaseServer::Kill() {
  process_->Kill(SIGKILL);
  process_->Wait(5000);
}

}  // namespace vg::testing
