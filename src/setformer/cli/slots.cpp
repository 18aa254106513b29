// `setformer slots scenes` (a picture of the generated scenes a row trains on, and the scenes as
// image files for `predict`) and `setformer slots table` (the Slot Attention paper's tables from
// runs' summaries). The runs themselves are `setformer train --config configs/slots/...`.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"
#include "setformer/tasks/slot_pictures.h"

namespace setformer::cli {
namespace {

void add_slots_scenes(CLI::App& slots) {
  auto options = std::make_shared<tasks::SceneSampleOptions>();
  auto* cmd = slots.add_subcommand(
      "scenes",
      "Picture of generated scenes and their instance maps (the test images by default), with "
      "each scene's objects printed");
  cmd->add_option("--dataset", options->dataset, "tetrominoes | multi_dsprites | clevr")
      ->capture_default_str();
  cmd->add_option("--image-size", options->image_size, "Image side (0: the dataset's)")
      ->capture_default_str();
  cmd->add_option("--min-objects", options->min_objects,
                  "Fewest objects per image (0: the dataset's)")
      ->capture_default_str();
  cmd->add_option("--max-objects", options->max_objects,
                  "Most objects per image (0: the dataset's; at most 10)")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed,
                  "Stream of scenes (the default is the test images' seed; training uses run.seed)")
      ->capture_default_str();
  cmd->add_option("--first", options->first, "Index of the first scene")->capture_default_str();
  cmd->add_option("--count", options->count, "Scenes drawn (1..64)")->capture_default_str();
  cmd->add_option("--out", options->out, "PNG file written")->capture_default_str();
  cmd->add_option("--files", options->files,
                  "Also write each scene as its own PNG into this folder (scene_INDEX.png), for "
                  "predict");
  cmd->callback([options] {
    for (const auto& line : tasks::write_scene_samples(*options)) fmt::print("{}\n", line);
    fmt::print("wrote {}{}\n", options->out,
               options->files.empty() ? "" : " and " + options->files + "/scene_*.png");
  });
}

void add_slots_table(CLI::App& slots) {
  add_table_command(slots,
                    "Results table of one task and dataset (<out>.md, <out>.json) from runs' "
                    "summary.json files, beside the paper's figures",
                    "results/slots/table", "summary.json files written by setformer train or eval",
                    tasks::write_slot_table);
}

}  // namespace

void add_slots_command(CLI::App& app) {
  auto* slots = app.add_subcommand(
      "slots", "Generated scenes and results tables of the Slot Attention paper's tasks");
  slots->require_subcommand(1);
  add_slots_scenes(*slots);
  add_slots_table(*slots);
}

}  // namespace setformer::cli
