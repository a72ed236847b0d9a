// The bad-input corpus (data/bad, described in its README.md): every case goes through
// `vidgen validate --json`, `vidgen render --json` and `vidgen render` (human errors), and
// must give the right exit code and error document with the named paths, quickly, without a
// crash and without leaving any output file.
#include <algorithm>
#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "cli_env.h"

namespace vg::cli_test {
namespace {

struct BadCase {
  std::string stem;  // "06-start-string"
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.stem; }

std::vector<BadCase> LoadCases() {
  std::vector<BadCase> cases;
  for (const std::string& name : ListDir(DataDir() / "bad")) {
    const std::string suffix = ".json";
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
      continue;
    }
    if (name.find(".expect.") != std::string::npos) continue;
    cases.push_back({name.substr(0, name.size() - suffix.size())});
  }
  return cases;
}

std::string TestName(const ::testing::TestParamInfo<BadCase>& info) {
  std::string name = "n";
  for (char c : info.param.stem) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

std::string Lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A string member of a JSON object, or "" when absent or not a string.
std::string StringField(const Json& object, const std::string& key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Trim(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

class BadInputTest : public CliTest, public ::testing::WithParamInterface<BadCase> {
 protected:
  void SetUp() override {
    const fs::path bad = DataDir() / "bad";
    case_file_ = bad / (GetParam().stem + ".json");
    const fs::path expect_file = bad / (GetParam().stem + ".expect.json");
    expect_ = Json{{"exit", 2}, {"error", "invalid_template"}};
    if (fs::exists(expect_file)) {
      expect_ = Json::parse(ReadFile(expect_file), nullptr, false);
      ASSERT_FALSE(expect_.is_discarded()) << expect_file << " is not JSON";
    }
    exit_ = expect_.value("exit", 2);
    error_ = expect_.value("error", "invalid_template");
    stage_ = expect_.value("stage", exit_ == 1 ? "render" : "template");
    fs::create_directory(Path("in"));
    fs::create_directory(Path("out"));
    template_path_ = case_file_.string();
    if (expect_.contains("templatePath")) {
      template_path_ = (bad / expect_["templatePath"].get<std::string>()).string();
    }
    if (expect_.contains("generate")) template_path_ = Generate(expect_["generate"]);
    if (expect_.contains("input")) {
      WriteFile(Path("in") / "input.json", expect_["input"].dump());
      common_args_ = {"-i", (Path("in") / "input.json").string()};
    } else if (expect_.contains("inputText")) {
      WriteFile(Path("in") / "input.json", expect_["inputText"].get<std::string>());
      common_args_ = {"-i", (Path("in") / "input.json").string()};
    }
    for (const auto& set : expect_.value("set", Json::array())) {
      common_args_.push_back("--set");
      common_args_.push_back(set.get<std::string>());
    }
  }

  // Writes the generated template into in/ and returns its path.
  std::string Generate(const Json& generate) {
    Json document = Json::parse(ReadFile(case_file_));
    std::string text;
    if (generate.contains("nestArrays")) {
      // Built as text: a deep nlohmann tree here would itself be the problem under test.
      const size_t depth = generate["nestArrays"].get<size_t>();
      document.erase("name");
      text = document.dump();
      text.insert(1, "\"name\":" + std::string(depth, '[') + std::string(depth, ']') + ",");
    } else if (generate.contains("padNameToBytes")) {
      document["name"] = std::string(generate["padNameToBytes"].get<size_t>(), 'x');
      text = document.dump();
    } else if (generate.contains("repeatFirstClip")) {
      Json clip = document["tracks"][0]["clips"][0];
      document["tracks"][0]["clips"] = Json::array();
      for (size_t i = 0; i < generate["repeatFirstClip"].get<size_t>(); ++i) {
        document["tracks"][0]["clips"].push_back(clip);
      }
      text = document.dump();
    } else {
      ADD_FAILURE() << "unknown generator " << generate.dump();
    }
    fs::path path = Path("in") / (GetParam().stem + ".json");
    WriteFile(path, text);
    return path.string();
  }

  ProcessOptions Options() const {
    ProcessOptions options;
    options.timeout_ms = 30000;
    return options;
  }

  // Checks that a run ended quickly by exit (no crash, no timeout).
  void ExpectQuickExit(const ProcessResult& run, const std::string& what) {
    EXPECT_TRUE(run.started) << what << ": " << run.start_error;
    EXPECT_FALSE(run.timed_out) << what << " did not finish";
    EXPECT_FALSE(run.signaled) << what << " crashed: " << run.Describe() << "\n" << run.err;
    EXPECT_LT(run.elapsed_s, expect_.value("maxSeconds", 10.0)) << what << " was slow";
  }

  // Checks the error document on stdout; returns its detail paths.
  std::vector<std::string> ExpectErrorDocument(const ProcessResult& run, const std::string& what) {
    std::vector<std::string> paths;
    Json doc = Json::parse(Trim(run.out), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      ADD_FAILURE() << what << ": stdout is not one JSON object: [" << run.out
                    << "]\nstderr: " << run.err;
      return paths;
    }
    EXPECT_EQ(StringField(doc, "error"), error_) << what << ": " << doc.dump();
    EXPECT_FALSE(StringField(doc, "message").empty()) << what << ": no message: " << doc.dump();
    std::string all_text = StringField(doc, "message");
    if (doc.contains("details")) {
      if (!doc["details"].is_array()) {
        ADD_FAILURE() << what << ": details is not an array: " << doc.dump();
      } else {
        for (const auto& detail : doc["details"]) {
          const bool well_formed = detail.is_object() && detail.contains("path") &&
                                   detail["path"].is_string() && detail.contains("message") &&
                                   detail["message"].is_string() &&
                                   !detail["message"].get<std::string>().empty();
          EXPECT_TRUE(well_formed) << what << ": a malformed detail: " << detail.dump();
          if (!well_formed) continue;
          paths.push_back(detail["path"].get<std::string>());
          all_text += "\n" + detail["message"].get<std::string>();
        }
      }
    }
    for (const auto& path : expect_.value("paths", Json::array())) {
      EXPECT_NE(std::find(paths.begin(), paths.end(), path.get<std::string>()), paths.end())
          << what << ": no detail at " << path << " in " << doc.dump();
    }
    for (const auto& group : expect_.value("anyPaths", Json::array())) {
      bool found = false;
      for (const auto& path : group) {
        found =
            found || std::find(paths.begin(), paths.end(), path.get<std::string>()) != paths.end();
      }
      EXPECT_TRUE(found) << what << ": none of " << group.dump() << " in " << doc.dump();
    }
    if (expect_.contains("mentions")) {
      const std::string word = expect_["mentions"].get<std::string>();
      EXPECT_NE(Lower(all_text).find(Lower(word)), std::string::npos)
          << what << ": the error does not mention \"" << word << "\": " << doc.dump();
    }
    if (expect_.contains("notMentions")) {
      const std::string word = expect_["notMentions"].get<std::string>();
      EXPECT_EQ(Lower(all_text).find(Lower(word)), std::string::npos)
          << what << ": the error shows \"" << word << "\": " << doc.dump();
    }
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  std::vector<std::string> RenderArgs(bool json) {
    std::vector<std::string> args = {
        "render",     template_path_,
        "-o",         (Path("out") / expect_.value("output", "out.mp4")).string(),
        "--progress", "none"};
    args.insert(args.end(), common_args_.begin(), common_args_.end());
    for (const auto& a : expect_.value("renderArgs", Json::array()))
      args.push_back(a.get<std::string>());
    if (json) args.push_back("--json");
    return args;
  }

  fs::path case_file_;
  Json expect_;
  int exit_ = 2;
  std::string error_, stage_, template_path_;
  std::vector<std::string> common_args_;
};

TEST_P(BadInputTest, RefusedWithTheDocumentedErrorAndNoFile) {
  // validate sees template and input problems only.
  std::vector<std::string> validate_args = {"validate", template_path_};
  validate_args.insert(validate_args.end(), common_args_.begin(), common_args_.end());
  validate_args.push_back("--json");
  ProcessResult validate = RunVidgen(validate_args, Options());
  ExpectQuickExit(validate, "validate");
  std::vector<std::string> validate_paths;
  if (stage_ == "template") {
    EXPECT_EQ(validate.exit_code, exit_) << "validate: " << validate.Describe() << "\n"
                                         << validate.out << validate.err;
    validate_paths = ExpectErrorDocument(validate, "validate");
  } else {
    EXPECT_EQ(validate.exit_code, 0)
        << "validate must accept what only rendering can find: " << validate.out << validate.err;
    Json doc = Json::parse(Trim(validate.out), nullptr, false);
    EXPECT_TRUE(!doc.is_discarded() && doc.value("valid", false) == true)
        << "validate: " << validate.out;
  }

  ProcessResult render = RunVidgen(RenderArgs(/*json=*/true), Options());
  ExpectQuickExit(render, "render --json");
  EXPECT_EQ(render.exit_code, exit_) << "render --json: " << render.Describe() << "\n"
                                     << render.out << render.err;
  std::vector<std::string> render_paths = ExpectErrorDocument(render, "render --json");
  if (stage_ == "template") {
    EXPECT_EQ(render_paths, validate_paths) << "render and validate report different problems";
  }
  EXPECT_EQ(ListDir(Path("out")), std::vector<std::string>{}) << "render left files behind";
  if (expect_.contains("maxRssMb")) {
    EXPECT_LT(render.max_rss_kb, expect_["maxRssMb"].get<long>() * 1024)
        << "render used too much memory (KiB)";
  }

  // Without --json: "vidgen: code: message" then "path: message" lines on stderr.
  ProcessResult human = RunVidgen(RenderArgs(/*json=*/false), Options());
  ExpectQuickExit(human, "render");
  EXPECT_EQ(human.exit_code, exit_) << "render: " << human.Describe() << "\n" << human.err;
  EXPECT_EQ(human.out, "") << "errors go to stderr without --json";
  // Log lines may come first; the error is a "vidgen: code: message" line, then the problems.
  const std::string head = std::string("vidgen: ").append(error_).append(": ");
  size_t error_line =
      human.err.rfind(head, 0) == 0 ? 0 : human.err.find(std::string("\n").append(head));
  EXPECT_NE(error_line, std::string::npos)
      << "no \"" << head << "…\" line on stderr: " << human.err;
  if (error_line == std::string::npos) error_line = 0;
  for (const auto& path : expect_.value("paths", Json::array())) {
    std::string line = std::string("\n").append(path.get<std::string>()).append(": ");
    EXPECT_NE(human.err.find(line, error_line), std::string::npos)
        << "no \"" << path.get<std::string>() << ": …\" line after the error line: " << human.err;
  }
  EXPECT_EQ(ListDir(Path("out")), std::vector<std::string>{}) << "render left files behind";

  // A failed render leaves an existing file at OUT as it was.
  const std::string output = expect_.value("output", "out.mp4");
  if (stage_ != "template" && output.find('/') == std::string::npos) {
    const std::string previous = "an earlier file at the output path\n";
    WriteFile(Path("out") / output, previous);
    ProcessResult again = RunVidgen(RenderArgs(/*json=*/true), Options());
    ExpectQuickExit(again, "render over an existing file");
    EXPECT_EQ(again.exit_code, exit_) << again.Describe();
    EXPECT_EQ(ReadFile(Path("out") / output), previous) << "the existing output was changed";
    EXPECT_EQ(ListDir(Path("out")), std::vector<std::string>{output}) << "leftover files";
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputTest, ::testing::ValuesIn(LoadCases()), TestName);

TEST(BadInputCorpus, HasAtLeastThirtyCases) { EXPECT_GE(LoadCases().size(), 30u); }

}  // namespace
}  // namespace vg::cli_test
