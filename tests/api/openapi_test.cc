// docs/openapi.yaml against reality: the document passes a real OpenAPI 3.1 validator, and the
// requests and responses of a tour through every endpoint and error validate against its
// schemas (tests/api/openapi_check.js with Ajv).
#include <fstream>

#include "api_test_util.h"
#include "support/subprocess.h"

namespace vg::api::testing {
namespace {

class Recorder {
 public:
  explicit Recorder(int port) : port_(port) {}
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& documented_path, const std::string& body = "",
                    const std::string& headers = "") {
    HttpResponse r = Request(port_, method, target, body, headers);
    nlohmann::json ex = {{"method", method}, {"path", documented_path}, {"status", r.status}};
    if (!body.empty()) {
      nlohmann::json request = nlohmann::json::parse(body, nullptr, false);
      if (!request.is_discarded()) ex["requestBody"] = request;
    }
    if (r.Header("content-type").starts_with("application/json")) {
      ex["responseBody"] = nlohmann::json::parse(r.body, nullptr, false);
    }
    exchanges_.push_back(ex);
    return r;
  }
  const nlohmann::json& exchanges() const { return exchanges_; }

 private:
  int port_;
  nlohmann::json exchanges_ = nlohmann::json::array();
};

TEST_F(ApiTest, OpenApiDocumentMatchesTheServer) {
  config_.max_body_bytes = 8192;
  config_.api_keys = {"k"};
  config_.api_rate_limit_per_min = 30;
  StartServer();
  Recorder rec(port_);
  const std::string auth = "X-API-Key: k";
  HttpResponse accepted = rec.Call("POST", "/api/video/generate", "/api/video/generate",
                                   GenerateBody(R"(,"metadata":{"a":1},"priority":1)"), auth);
  ASSERT_EQ(accepted.status, 202);
  std::string id = nlohmann::json::parse(accepted.body)["jobId"];
  rec.Call("POST", "/api/video/generate", "/api/video/generate", "{bad", auth);
  rec.Call("POST", "/api/video/generate", "/api/video/generate",
           R"({"template":{"version":1,"output":{"width":3},"tracks":[]}})", auth);
  rec.Call("POST", "/api/video/generate", "/api/video/generate", GenerateBody());
  rec.Call("POST", "/api/video/validate", "/api/video/validate", GenerateBody(), auth);
  rec.Call("POST", "/api/video/validate", "/api/video/validate", R"({"template":{"tracks":1}})",
           auth);
  rec.Call("GET", "/api/video/status/" + id, "/api/video/status/{jobId}", "", auth);
  rec.Call("GET", "/api/video/status/nope", "/api/video/status/{jobId}", "", auth);
  rec.Call("GET", "/api/video/jobs?limit=1", "/api/video/jobs", "", auth);
  rec.Call("GET", "/api/video/jobs?limit=500", "/api/video/jobs", "", auth);
  rec.Call("DELETE", "/api/video/cancel/" + id, "/api/video/cancel/{jobId}", "", auth);
  rec.Call("DELETE", "/api/video/cancel/" + id, "/api/video/cancel/{jobId}", "", auth);
  rec.Call("GET", "/api/video/status/" + id, "/api/video/status/{jobId}", "", auth);
  rec.Call("POST", "/api/video/retry/" + id, "/api/video/retry/{jobId}", "", auth);
  rec.Call("POST", "/api/video/retry/" + id, "/api/video/retry/{jobId}", "", auth);
  rec.Call("POST", "/api/video/generate", "/api/video/generate", std::string(10000, ' '), auth);
  rec.Call("GET", "/health", "/health");
  rec.Call("GET", "/ready", "/ready");
  rec.Call("GET", "/files/x.mp4?exp=1&sig=00", "/files/{key}");
  for (int i = 0; i < 40; ++i) {
    HttpResponse r = Request(port_, "GET", "/api/video/jobs", "", auth);
    if (r.status == 429) {
      rec.Call("GET", "/api/video/jobs", "/api/video/jobs", "", auth);
      break;
    }
  }
  std::set<int> statuses;
  for (const auto& ex : rec.exchanges()) statuses.insert(ex["status"].get<int>());
  for (int expected : {200, 202, 400, 401, 403, 404, 409, 413, 422, 429}) {
    EXPECT_TRUE(statuses.count(expected)) << "no exchange answered " << expected;
  }
  std::string path = dir_ + "/exchanges.json";
  { std::ofstream(path) << rec.exchanges().dump(1); }
  auto [code, output] = vg::testing::RunProcess({VG_NODE, VG_OPENAPI_SCRIPT, VG_OPENAPI_FILE, path},
                                                {{"VG_NODE_MODULES", VG_NODE_MODULES}}, 60000);
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("OPENAPI VALID 3.1"), std::string::npos) << output;
  EXPECT_NE(output.find(", 0 failures"), std::string::npos) << output;
}

}  // namespace
}  // namespace vg::api::testing
