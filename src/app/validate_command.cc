// `vidgen validate TEMPLATE`: checks a template and input exactly as render and the API do,
// draws nothing, fetches nothing.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/template_input.h"
#include "obs/log.h"
#include "tmpl/load.h"

namespace vg::app {
namespace {

class ValidateCommand final : public Command {
 public:
  explicit ValidateCommand(CLI::App& root) {
    app_ = root.add_subcommand("validate", "Check a template and its input; draws nothing");
    app_->add_option("template", args_.template_path, "Template file, or - for standard input")->required();
    app_->add_option("-i,--input", args_.input_path, "Input values (a JSON object file)");
    app_->add_option("--set", args_.sets, "Set one input: NAME=VALUE (repeatable)");
    app_->add_flag("--json", json_, "The result or the error document as JSON on standard output");
  }

  int Run() override {
    obs::SetLogLevel(obs::Level::kError);
    tmpl::Limits limits;
    auto loaded = LoadTemplate(args_, limits);
    if (!loaded.ok()) return ReportError(loaded.error(), json_, false);
    const tmpl::Template& t = loaded->tmpl;
    auto duration = tmpl::KnownDuration(t);
    nlohmann::json out = {{"valid", true},
                          {"width", t.output.width},
                          {"height", t.output.height},
                          {"fps", t.output.fps.ToDouble()}};
    if (duration) {
      out["durationSec"] = *duration;
      out["frames"] = RoundTimeToIndex(*duration, t.output.fps);
    } else {
      out["durationSec"] = nullptr;  // set by an audio source's length, known when rendering
      out["frames"] = nullptr;
    }
    if (json_) {
      std::cout << out.dump() << std::endl;
    } else if (duration) {
      std::cout << fmt::format("valid: {}x{} at {:g} fps, {:.3f} s, {} frames\n", t.output.width,
                               t.output.height, t.output.fps.ToDouble(), *duration,
                               out["frames"].get<int64_t>());
    } else {
      std::cout << fmt::format("valid: {}x{} at {:g} fps, length set by the audio\n",
                               t.output.width, t.output.height, t.output.fps.ToDouble());
    }
    return 0;
  }

 private:
  TemplateArgs args_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> AddValidateCommand(CLI::App& root) {
  return std::make_unique<ValidateCommand>(root);
}

}  // namespace vg::app
