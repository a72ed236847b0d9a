// vidgen's entry point: parses the command line and runs one subcommand. Wiring only.
#include <cstdio>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.h"

#ifndef VG_VERSION
#define VG_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  CLI::App root("vidgen: JSON templates to MP4 videos, from the command line or as a service");
  root.set_version_flag("--version", std::string("vidgen ") + VG_VERSION);
  root.require_subcommand(1);
  std::vector<std::unique_ptr<vg::app::Command>> commands;
  commands.push_back(vg::app::AddRenderCommand(root));
  commands.push_back(vg::app::AddValidateCommand(root));
  commands.push_back(vg::app::AddServeCommand(root));
  commands.push_back(vg::app::AddApiCommand(root));
  commands.push_back(vg::app::AddWorkerCommand(root));
  commands.push_back(vg::app::AddStorageCommand(root));
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    // Bad usage is exit 2 (CLI.md), whatever CLI11's own code.
    root.exit(e);
    return 2;
  }
  for (auto& command : commands) {
    if (command->Chosen()) return command->Run();
  }
  return 2;
}
