// `setformer seq2seq table`: the Transformer's results on the sequence tasks (copy, reverse,
// sort, addition) from runs' summaries. The runs themselves are `setformer train --config
// configs/seq2seq/...`.
#include "setformer/cli/commands.h"

#include "setformer/cli/experiment_commands.h"

namespace setformer::cli {

void add_seq2seq_command(CLI::App& app) {
  auto* seq = app.add_subcommand("seq2seq", "Results tables of the Transformer's sequence tasks");
  seq->require_subcommand(1);
  add_table_command(*seq, "Results table (<out>.md, <out>.json) from runs' summary.json files",
                    "results/seq2seq/table", "summary.json files written by setformer train",
                    tasks::write_sequence_table);
}

}  // namespace setformer::cli
