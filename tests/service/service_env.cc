// Helpers of the service end-to-end tests (see service_env.h).
#include "service_env.h"

#include <curl/curl.h>
#include <stdlib.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "support/subprocess.h"
#include "support/test_templates.h"

namespace vg::service_test {

std::string VidgenPath() { return VG_VIDGEN_PATH; }
std::string FfprobePath() { return VG_FFPROBE; }
std::string NodeModules() { return VG_NODE_MODULES; }
std::string ScriptsDir() { return VG_SERVICE_SCRIPTS; }

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "vg-service-XXXXXX").string();
  path_ = mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

Json TestTemplate(int width, int height, double seconds, int fps) {
  return vg::testing::MovingShapeTemplate(width, height, seconds, fps);
}

Json Probe(const fs::path& file) {
  auto [code, out] = testing::RunProcess({FfprobePath(), "-v", "error", "-print_format", "json",
                                          "-show_format", "-show_streams", file.string()},
                                         {}, 30000);
  if (code != 0) return Json::object();
  // RunProcess mixes stderr in; with -v error a good file prints nothing there.
  auto parsed = Json::parse(out, nullptr, false);
  return parsed.is_discarded() ? Json::object() : parsed;
}

Json HttpReply::json() const {
  auto parsed = Json::parse(body, nullptr, false);
  return parsed.is_discarded() ? Json() : parsed;
}

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * count;
}

}  // namespace

HttpReply HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                      const std::vector<std::string>& headers) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return reply;
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  if (!body.empty()) list = curl_slist_append(list, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 15000L);
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return reply;
}

std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) names.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<testing::Subprocess> StartVidgen(const std::vector<std::string>& args,
                                                 const Env& env) {
  std::vector<std::string> argv = {VidgenPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<testing::Subprocess>(argv, env);
}

Service::Service(const std::string& command, Env env) {
  env["PORT"] = "0";
  env["HOST"] = "127.0.0.1";
  process_ = StartVidgen({command}, env);
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  ready_ = WaitFor(
               [&] {
                 if (!process_->running()) return true;
                 std::smatch m;
                 const std::string out = process_->output();
                 if (port_ == 0 && std::regex_search(out, m, listening)) port_ = std::stoi(m[1]);
                 return port_ != 0 && HttpRequest("GET", url("/health")).status == 200;
               },
               20000) &&
           process_->running() && port_ != 0;
}

pid_t Service::RedisPid() const {
  std::smatch m;
  const std::string out = output();
  if (std::regex_search(out, m, std::regex("event=redis.started pid=([0-9]+)"))) {
    return static_cast<pid_t>(std::stol(m[1]));
  }
  return -1;
}

std::unique_ptr<testing::Subprocess> StartNode(const std::string& script,
                                               std::vector<std::string> args) {
  std::vector<std::string> argv = {"node", ScriptsDir() + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<testing::Subprocess>(argv, Env{{"NODE_PATH", NodeModules()}});
}

}  // namespace vg::service_test
