// `setformer sets table`: the Set Transformer paper's tables (max regression, amortized
// clustering, counting unique items) from runs' summaries, beside the paper's figures. The runs
// themselves are `setformer train --config configs/sets/...`.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"

namespace setformer::cli {

void add_sets_command(CLI::App& app) {
  auto* sets = app.add_subcommand("sets", "Results tables of the Set Transformer paper's tasks");
  sets->require_subcommand(1);
  add_table_command(*sets,
                    "Results table of one task (<out>.md, <out>.json) from runs' summary.json "
                    "files, beside the paper's figures",
                    "results/sets/table", "summary.json files written by setformer train",
                    tasks::write_set_table);
}

}  // namespace setformer::cli
