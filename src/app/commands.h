// The subcommands of `vidgen`, one file each: each adds its options to the CLI11 parser and
// runs with the parsed arguments, returning the process exit code (CLI.md).
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace vg::app {

// A parsed subcommand, ready to run.
class Command {
 public:
  virtual ~Command() = default;
  // True when the command line chose this subcommand.
  bool Chosen() const { return app_->parsed(); }
  virtual int Run() = 0;

 protected:
  CLI::App* app_ = nullptr;  // owned by the root CLI::App
};

// Each Add* registers a subcommand and returns the object its options write into.
std::unique_ptr<Command> AddRenderCommand(CLI::App& root);
std::unique_ptr<Command> AddValidateCommand(CLI::App& root);
std::unique_ptr<Command> AddServeCommand(CLI::App& root);   // serve_command.cc
std::unique_ptr<Command> AddApiCommand(CLI::App& root);     // api_command.cc
std::unique_ptr<Command> AddWorkerCommand(CLI::App& root);  // worker_command.cc
std::unique_ptr<Command> AddStorageCommand(CLI::App& root);  // storage_command.cc

}  // namespace vg::app
