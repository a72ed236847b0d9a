// `vidgen render TEMPLATE -o OUT …`: the engine with no service around it. SIGINT/SIGTERM stop
// the render between frames (exit 130, no output file, an existing file untouched).
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/progress_display.h"
#include "app/template_input.h"
#include "assets/asset_cache.h"
#include "obs/log.h"
#include "render/render.h"

namespace vg::app {
namespace {

// Set by the signal handler; polled by the pipeline between frames.
std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

Result<std::pair<FrameIndex, FrameIndex>> ParseFrames(const std::string& text) {
  auto colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    size_t used_a = 0, used_b = 0;
    long long a = std::stoll(text.substr(0, colon), &used_a);
    long long b = std::stoll(text.substr(colon + 1), &used_b);
    if (used_a != colon || used_b != text.size() - colon - 1 || a < 0 || b <= a) {
      throw std::invalid_argument("range");
    }
    return std::pair<FrameIndex, FrameIndex>{a, b};
  } catch (const std::exception&) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("--frames takes A:B with 0 <= A < B, got \"{}\"", text));
  }
}

// The container an output name asks for, when it names a known one.
std::optional<std::string> FormatOfExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".mp4" || ext == ".m4v") return "mp4";
  if (ext == ".webm") return "webm";
  if (ext == ".gif") return "gif";
  if (ext == ".mov") return "mov";
  if (ext == ".png") return "png";
  return std::nullopt;
}

class RenderCommand final : public Command {
 public:
  explicit RenderCommand(CLI::App& root) {
    app_ = root.add_subcommand("render", "Render a template to an MP4 (or one frame to a PNG)");
    app_->add_option("template", args_.template_path, "Template file, or - for standard input")->required();
    app_->add_option("-o,--output", output_, "Output file (.mp4; a .png with --still)")->required();
    app_->add_option("-i,--input", args_.input_path, "Input values (a JSON object file)");
    app_->add_option("--set", args_.sets, "Set one input: NAME=VALUE (repeatable)");
    app_->add_option("--frames", frames_, "Render only frames A <= f < B (A:B)");
    app_->add_option("--still", still_, "Write frame N (0-based) as a PNG instead of a video");
    app_->add_option("--poster", poster_, "Also write the thumbnail JPEG (640 px wide) here");
    app_->add_option("--threads", threads_, "Render and encoder threads (default: the number of cores)")
        ->check(CLI::Range(1, 64));
    app_->add_option("--progress", progress_, "auto, bar, json or none")->default_val("auto");
    app_->add_flag("--json", json_, "Errors and the result as JSON on standard output");
  }

  int Run() override {
    // The error the command prints says it all; library warnings would only repeat it.
    obs::SetLogLevel(obs::Level::kError);
    ProgressMode mode;
    if (!ParseProgressMode(progress_, &mode)) {
      return ReportError(Status(ErrorCode::kInvalidArgument,
                                fmt::format("--progress takes auto, bar, json or none, got \"{}\"", progress_)),
                         json_, false);
    }
    std::optional<std::pair<FrameIndex, FrameIndex>> frames;
    if (!frames_.empty()) {
      auto parsed = ParseFrames(frames_);
      if (!parsed.ok()) return ReportError(parsed.error(), json_, false);
      frames = *parsed;
    }
    if (still_ && frames) {
      return ReportError(Status(ErrorCode::kInvalidArgument, "--still and --frames cannot be combined"),
                         json_, false);
    }
    tmpl::Limits limits;
    auto loaded = LoadTemplate(args_, limits);
    if (!loaded.ok()) return ReportError(loaded.error(), json_, false);
    const tmpl::Template& t = loaded->tmpl;
    if (!still_) {
      auto wanted = FormatOfExtension(output_);
      if (wanted && *wanted != t.output.format) {
        return ReportError(
            Status(ErrorCode::kInvalidArgument,
                   fmt::format("the output {} asks for {}, but the template's output.format is {}",
                               output_, *wanted, t.output.format)),
            json_, false);
      }
    }

    assets::AssetOptions asset_options;
    asset_options.base_dir = loaded->base_dir;
    asset_options.allow_private_addresses = true;
    asset_options.max_bytes = limits.asset_bytes;
    asset_options.max_image_pixels = limits.image_pixels;
    assets::AssetCache assets(asset_options);

    InstallSignalHandlers();
    if (still_) {
      Status status = render::RenderStill(t, assets, limits, *still_, output_);
      if (!status.ok()) return ReportError(status, json_, true);
      if (json_) std::cout << nlohmann::json{{"output", output_}, {"frame", *still_}}.dump() << std::endl;
      return 0;
    }

    ProgressDisplay display(mode);
    render::RenderOptions options;
    options.output_path = output_;
    options.frames = frames;
    options.poster_path = poster_;
    options.threads = threads_;
    options.cancel = &g_interrupted;
    options.on_progress = [&](const render::Progress& p) { display.Update(p); };
    auto result = render::RenderVideo(t, assets, limits, options);
    display.Finish();
    if (!result.ok()) return ReportError(result.error(), json_, true);
    if (json_) {
      nlohmann::json out = {{"output", output_},
                            {"frames", result->frames},
                            {"durationSec", result->duration_seconds},
                            {"width", result->width},
                            {"height", result->height},
                            {"fps", result->fps.ToDouble()},
                            {"audio", result->has_audio},
                            {"sizeBytes", result->size_bytes},
                            {"elapsedSec", result->elapsed_seconds}};
      if (!poster_.empty()) out["poster"] = poster_;
      std::cout << out.dump() << std::endl;
    } else if (mode == ProgressMode::kBar) {
      std::fputs(fmt::format("wrote {} ({} frames, {:.2f} s, {:.1f} MB) in {:.2f} s ({:.1f} fps)\n",
                             output_, result->frames, result->duration_seconds,
                             result->size_bytes / 1e6, result->elapsed_seconds,
                             result->frames / std::max(1e-9, result->elapsed_seconds)).c_str(), stderr);
    }
    return 0;
  }

 private:
  TemplateArgs args_;
  std::string output_, frames_, poster_, progress_;
  std::optional<FrameIndex> still_;
  int threads_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> AddRenderCommand(CLI::App& root) { return std::make_unique<RenderCommand>(root); }

}  // namespace vg::app
