// Start-up pieces shared by the service subcommands (see service_setup.h).
#include "app/service_setup.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/curl_http_client.h"
#include "notify/webhooks.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "storage/blob_store.h"
#include "worker/worker.h"

namespace vg::app {
namespace {

namespace fs = std::filesystem;

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

std::optional<config::Config> LoadServiceConfig(config::Mode mode, const char* command) {
  auto env = config::ReadEnvironment(".env");
  if (!env.ok()) {
    std::fprintf(stderr, "vidgen %s: %s\n", command, env.error().message().c_str());
    for (const auto& d : env.error().details()) {
      std::fprintf(stderr, "vidgen %s: %s: %s\n", command, d.path.c_str(), d.message.c_str());
    }
    return std::nullopt;
  }
  auto loaded = config::LoadConfig(*env, mode);
  if (!loaded.ok()) {
    if (loaded.error().details().empty()) {
      std::fprintf(stderr, "vidgen %s: %s\n", command, loaded.error().message().c_str());
    }
    for (const auto& d : loaded.error().details()) {
      std::fprintf(stderr, "vidgen %s: %s: %s\n", command, d.path.c_str(), d.message.c_str());
    }
    return std::nullopt;
  }
  obs::Level level;
  if (obs::ParseLevel(loaded->log_level, &level)) obs::SetLogLevel(level);
  std::string settings;
  for (const auto& line : loaded->Describe()) settings += (settings.empty() ? "" : " ") + line;
  obs::Log(obs::Level::kDebug, "service.config", {{"command", command}, {"settings", settings}});
  return *loaded;
}

void PrepareProcessSignals() {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

Status ResolvePort(config::Config* config) {
  if (config->port != 0) return Status::Ok();
  const std::string defaulted = fmt::format("http://{}:0", config->host);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Error(ErrorCode::kInternal, "socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, config->host.c_str(), &address.sin_addr) != 1) {
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  if (port == 0) return Error(ErrorCode::kInternal, "No free port on " + config->host);
  config->port = port;
  if (config->public_base_url.empty() || config->public_base_url == defaulted) {
    config->public_base_url = fmt::format("http://{}:{}", config->host, port);
  }
  return Status::Ok();
}

Result<std::string> LoadOrCreateSigningSecret(const std::string& data_dir) {
  const fs::path path = fs::path(data_dir) / "url-signing-secret";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::string secret;
    std::getline(in, secret);
    if (!in.fail() && !secret.empty()) return secret;
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} is empty or unreadable", path.string()));
  }
  fs::create_directories(data_dir, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("Cannot create DATA_DIR {}: {}", data_dir, ec.message()));
  }
  unsigned char bytes[32];
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(reinterpret_cast<char*>(bytes), sizeof(bytes));
  if (!random) return Error(ErrorCode::kInternal, "Cannot read /dev/urandom");
  std::string secret;
  for (unsigned char b : bytes) secret += fmt::format("{:02x}", b);
  const std::string temp = path.string() + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Error(ErrorCode::kInvalidArgument, "Cannot write " + temp);
  const std::string line = secret + "\n";
  const bool written =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!written || rename(temp.c_str(), path.c_str()) != 0) {
    return Error(ErrorCode::kInvalidArgument, "Cannot write " + path.string());
  }
  obs::Log(obs::Level::kInfo, "service.signing_secret_created", {{"path", path.string()}});
  return secret;
}

std::function<nlohmann::json(const nlohmann::json&)> SignResultUrls(const storage::BlobStore& store,
                                                                    int64_t ttl_seconds) {
  return [&store, ttl_seconds](const nlohmann::json& data) {
    nlohmann::json out = data;
    if (!out.is_object() || !out.contains("result") || !out["result"].is_object()) return out;
    nlohmann::json& result = out["result"];
    auto sign = [&](const char* key_field, const char* url_field) {
      if (!result.contains(key_field) || !result[key_field].is_string()) return;
      auto signed_url = store.Sign(result[key_field].get<std::string>(), ttl_seconds);
      if (!signed_url.ok()) return;
      result[url_field] = signed_url->url;
      result["expiresAt"] = FormatIsoUtc(signed_url->expires_unix_s * 1000);
    };
    sign("storageKey", "url");
    sign("thumbnailKey", "thumbnailUrl");
    return out;
  };
}

Result<std::unique_ptr<WorkerSide>> WorkerSide::Start(const config::Config& config,
                                                      storage::BlobStore* store,
                                                      obs::Metrics* metrics) {
  std::unique_ptr<WorkerSide> side(new WorkerSide());
  const queue::RedisOptions redis = worker::RedisOptionsOf(config);
  const queue::QueueName queue{config.queue_prefix, config.queue_name};
  net::CurlHttpClientOptions http_options;
  http_options.allow_private_addresses = config.allow_private_urls;
  side->http_ = std::make_unique<net::CurlHttpClient>(http_options);
  side->webhooks_ = std::make_unique<notify::WebhookQueue>(redis, queue);
  notify::WebhookDelivererOptions delivery;
  delivery.lock_ms = config.job_lock_ms;
  delivery.stalled_interval_ms = config.stalled_interval_ms;
  delivery.prepare_data = SignResultUrls(*store, config.signed_url_ttl_s);
  if (config.webhook_secret.empty()) {
    obs::Log(obs::Level::kWarn, "service.webhooks_unsigned",
             {{"reason", "WEBHOOK_SECRET is not set: webhooks are sent without a signature"}});
  }
  side->deliverer_ = std::make_unique<notify::WebhookDeliverer>(redis, queue, config.webhook_secret,
                                                                *side->http_, metrics, delivery);
  VG_RETURN_IF_ERROR(side->deliverer_->Start());
  worker::Dependencies deps;
  deps.store = store;
  deps.webhooks = side->webhooks_.get();
  deps.metrics = metrics;
  side->worker_ = std::make_unique<worker::Worker>(config, deps);
  VG_RETURN_IF_ERROR(side->worker_->Start());
  return side;
}

WorkerSide::~WorkerSide() { Stop(std::chrono::milliseconds(0)); }

void WorkerSide::Stop(std::chrono::milliseconds grace) {
  if (worker_) worker_->Shutdown(grace);
  if (deliverer_) deliverer_->Stop();
}

}  // namespace vg::app
