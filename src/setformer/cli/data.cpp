// `setformer data export`: a built-in dataset written in the format users bring their own in, so
// that the generic readers can be checked against the built-in ones on real data. Fashion-MNIST
// becomes an image folder (torchvision's ImageFolder layout, train/ and val/); SpamAssassin a
// labelled text file per split (JSONL, CSV or TSV with columns id, text, label).
#include "setformer/cli/commands.h"

#include "setformer/core/error.h"
#include "setformer/core/files.h"
#include "setformer/data/fashion_mnist.h"
#include "setformer/data/text_corpora.h"
#include "setformer/data/text_files.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

namespace setformer::cli {

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Datasets: export the built-in ones as files");
  data->require_subcommand(1);
  struct Args {
    std::string dataset = "fashion-mnist", out, data_dir = data::kFashionMnistFolder;
    std::string size;
    data::ExportOptions options;
    std::string text_dir = data::kTextFolder, splits_dir = "data/text/splits";
    int64_t passage_words = 200;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data->add_subcommand(
      "export",
      "Write a built-in dataset as files: fashion-mnist as an image folder "
      "(OUT/train/<class>/*.png "
      "and OUT/val/<class>/*.png from the test split; class folders named <label>_<name>); "
      "spam-assassin as OUT/{train,validation,test}.<format> with columns id, text, label "
      "(spam | ham), the built-in splits; sotu-party as passages of the Democratic and "
      "Republican State of the Union addresses labelled with the party, split by president "
      "(columns id, text, label, president, year)");
  cmd->add_option("--dataset", args->dataset, "fashion-mnist | spam-assassin | sotu-party")
      ->check(CLI::IsMember({"fashion-mnist", "spam-assassin", "sotu-party"}))
      ->capture_default_str();
  cmd->add_option("--passage-words", args->passage_words,
                  "sotu-party: words per passage at least (cut at the next sentence end)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Folder written")->required();
  cmd->add_option("--data-dir", args->data_dir, "Folder of the Fashion-MNIST IDX files")
      ->capture_default_str();
  cmd->add_option("--limit", args->options.limit,
                  "First N images of each split; N e-mails spread over each split (0: all)")
      ->capture_default_str();
  cmd->add_option("--format", args->options.format,
                  "Images: png | jpeg; text: jsonl | csv (both lossless) | tsv (no quoting: tabs "
                  "and line breaks become spaces)")
      ->check(CLI::IsMember({"png", "jpeg", "jsonl", "csv", "tsv"}))
      ->capture_default_str();
  cmd->add_option("--text-dir", args->text_dir, "Folder of the npm text corpora")
      ->capture_default_str();
  cmd->add_option("--splits-dir", args->splits_dir,
                  "Folder of the text corpora's split files (written on first use)")
      ->capture_default_str();
  cmd->add_option("--quality", args->options.quality, "JPEG quality 1..100")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--size", args->size,
                  "WIDTHxHEIGHT: photo-like RGB images of that size (garment tinted on a noisy "
                  "coloured background) instead of the 28x28 grey originals, e.g. 500x375 for "
                  "ImageNet-sized decoding benchmarks");
  cmd->callback([args] {
    const auto& format = args->options.format;
    const auto write_split = [&](data::Split split, const std::vector<std::string>& columns,
                                 const std::vector<std::vector<std::string>>& rows,
                                 const char* what) {
      const auto path = fmt::format("{}/{}.{}", args->out, data::to_string(split), format);
      std::filesystem::create_directories(args->out);
      write_file_atomic(path, data::text_table(columns, rows, format));
      fmt::print("{}: {} {}\n", path, rows.size(), what);
    };
    if (args->dataset != "fashion-mnist") {
      SETFORMER_CHECK(format == "jsonl" || format == "csv" || format == "tsv",
                      "--format {} is for images; text is written as jsonl, csv or tsv", format);
    }
    if (args->dataset == "sotu-party") {
      const auto corpus = data::read_corpus("sotu", args->text_dir, args->splits_dir + "/sotu.tsv");
      const auto passages = data::sotu_party_passages(corpus, args->passage_words);
      for (const auto split : {data::Split::train, data::Split::validation, data::Split::test}) {
        std::vector<std::vector<std::string>> rows;
        std::set<std::string> presidents;
        for (const auto& p : passages) {
          if (p.split != split) continue;
          rows.push_back({p.id, p.text, p.party, p.president, std::to_string(p.year)});
          presidents.insert(p.president);
        }
        write_split(split, {"id", "text", "label", "president", "year"}, rows,
                    fmt::format("passages of {} presidents", presidents.size()).c_str());
      }
      return;
    }
    if (args->dataset == "spam-assassin") {
      const auto corpus = data::read_corpus("spam_assassin", args->text_dir,
                                            args->splits_dir + "/spam_assassin.tsv");
      for (const auto split : {data::Split::train, data::Split::validation, data::Split::test}) {
        // --limit spreads over the split, which lists the ham groups first.
        const auto docs = corpus.documents_in(split);
        const auto n = static_cast<int64_t>(docs.size());
        const int64_t count = args->options.limit > 0 ? std::min(args->options.limit, n) : n;
        std::vector<std::vector<std::string>> rows;
        for (int64_t k = 0; k < count; ++k) {
          const auto* d = docs[static_cast<size_t>(k * n / count)];
          rows.push_back({d->id, d->text, d->label == 1 ? "spam" : "ham"});
        }
        write_split(split, {"id", "text", "label"}, rows, "e-mails");
      }
      return;
    }
    SETFORMER_CHECK(args->options.format == "png" || args->options.format == "jpeg",
                    "--format {} is for text; images are written as png or jpeg",
                    args->options.format);
    if (!args->size.empty()) {
      const auto x = args->size.find('x');
      try {
        if (x == std::string::npos) throw std::invalid_argument(args->size);
        args->options.width = std::stoll(args->size.substr(0, x));
        args->options.height = std::stoll(args->size.substr(x + 1));
      } catch (const std::exception&) {
        throw CLI::ValidationError("--size",
                                   "expected WIDTHxHEIGHT, e.g. 500x375, got '" + args->size + "'");
      }
    }
    const auto counts = data::export_fashion_mnist(
        args->out, args->data_dir, args->options,
        [](const std::string& line) { std::cerr << "export " << line << std::endl; });
    const auto classes = data::fashion_mnist_folder_names();
    for (size_t s = 0; s < counts.splits.size(); ++s) {
      int64_t total = 0;
      std::string line;
      for (size_t c = 0; c < classes.size(); ++c) {
        total += counts.per_class[s][c];
        line += fmt::format("  {} {}", classes[c], counts.per_class[s][c]);
      }
      fmt::print("{}/{}: {} images:{}\n", args->out, counts.splits[s], total, line);
    }
  });
}

}  // namespace setformer::cli
