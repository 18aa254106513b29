// `setformer language table`: the language rows (MLM, SpamAssassin classification, ListOps) from
// runs' summaries. The runs themselves are `setformer train --config configs/language/...`.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"

namespace setformer::cli {

void add_language_command(CLI::App& app) {
  auto* language = app.add_subcommand(
      "language", "Results tables of the language tasks (MLM, classify, ListOps)");
  language->require_subcommand(1);
  add_table_command(*language,
                    "Results table (<out>.md, <out>.json) from runs' summary.json files (a "
                    "classification row from before test_errors reads eval.json beside it)",
                    "results/language/table", "summary.json files written by setformer train",
                    tasks::write_language_table);
}

}  // namespace setformer::cli
