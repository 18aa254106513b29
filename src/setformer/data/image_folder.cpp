#include "setformer/data/image_folder.h"

#include "setformer/core/files.h"
#include "setformer/data/text_files.h"
#include "setformer/io/delimited.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace setformer::data {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Label of class `name` in `classes`, or -1.
int64_t label_of(const std::vector<std::string>& classes, const std::string& name) {
  const auto it = std::find(classes.begin(), classes.end(), name);
  return it == classes.end() ? -1 : static_cast<int64_t>(it - classes.begin());
}

std::string class_list(const std::vector<std::string>& classes) {
  if (classes.size() <= 12) return fmt::format("{}", fmt::join(classes, ", "));
  return fmt::format("{}, ... ({} classes)", fmt::join(classes.begin(), classes.begin() + 10, ", "),
                     classes.size());
}

}  // namespace

bool is_image_file(const std::string& path) {
  const auto ext = lower(fs::path(path).extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".ppm" || ext == ".pgm" ||
         ext == ".pnm";
}

std::vector<std::string> find_image_files(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry :
       fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
    if (!entry.is_directory() && is_image_file(entry.path().string()))
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<int64_t> ImageFiles::counts() const {
  std::vector<int64_t> out(classes.size(), 0);
  for (const int64_t label : labels) ++out[static_cast<size_t>(label)];
  return out;
}

ImageFiles scan_image_folder(const std::string& folder, const std::vector<std::string>* classes) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw std::runtime_error(fmt::format(
        "{}: no such folder (an image folder holds one sub-folder of images per class)", folder));
  }
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_directory()) found.push_back(entry.path().filename().string());
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    throw std::runtime_error(
        fmt::format("{}: no class folders (expected {}/<class>/<image files>)", folder, folder));
  }
  ImageFiles out;
  out.source = folder;
  out.classes = classes ? *classes : found;
  for (const auto& name : found) {
    const int64_t label = label_of(out.classes, name);
    const auto class_folder = (fs::path(folder) / name).string();
    if (label < 0) {
      throw std::runtime_error(
          fmt::format("{}: class '{}' is not a class of the training split (which has: {})",
                      class_folder, name, class_list(out.classes)));
    }
    const auto files = find_image_files(class_folder);
    if (files.empty()) {
      throw std::runtime_error(fmt::format(
          "{}: class folder holds no image files (.jpg .jpeg .png .ppm .pgm .pnm); remove it or "
          "add images",
          class_folder));
    }
    for (const auto& f : files) {
      out.paths.push_back(f);
      out.labels.push_back(label);
    }
  }
  return out;
}

ImageFiles parse_image_list(std::string_view text, const std::string& name,
                            const std::string& image_root,
                            const std::vector<std::string>* classes) {
  const auto rows = io::parse_delimited(text, name, io::delimited_options_for(name));
  if (rows.empty()) throw std::invalid_argument(fmt::format("{}: the list file is empty", name));
  size_t path_column = 0, label_column = 1, first = 0;
  {
    int found = 0;
    for (size_t i = 0; i < rows[0].fields.size(); ++i) {
      const auto f = lower(rows[0].fields[i]);
      if (f == "path" || f == "file" || f == "filename" || f == "image") {
        path_column = i;
        found |= 1;
      } else if (f == "label" || f == "class" || f == "target") {
        label_column = i;
        found |= 2;
      }
    }
    if (found == 3) {
      first = 1;
    } else if (found != 0) {
      throw std::invalid_argument(fmt::format(
          "{}:{}: the header names {} column but not {} (expected path and label columns)", name,
          rows[0].line, found == 1 ? "a path" : "a label", found == 1 ? "a label" : "a path"));
    }
  }
  const size_t needed = std::max(path_column, label_column) + 1;
  std::vector<std::string> labels;
  ImageFiles out;
  out.source = name;
  for (size_t r = first; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.fields.size() < needed) {
      throw std::invalid_argument(
          fmt::format("{}:{}: {} field(s), expected at least {} (path and label)", name, row.line,
                      row.fields.size(), needed));
    }
    const auto& path = row.fields[path_column];
    const auto& label = row.fields[label_column];
    if (path.empty()) throw std::invalid_argument(fmt::format("{}:{}: empty path", name, row.line));
    if (label.empty()) {
      throw std::invalid_argument(fmt::format("{}:{}: empty label for '{}'", name, row.line, path));
    }
    out.paths.push_back(fs::path(path).is_absolute() || image_root.empty()
                            ? path
                            : (fs::path(image_root) / path).string());
    labels.push_back(label);
    if (classes && label_of(*classes, label) < 0) {
      throw std::invalid_argument(
          fmt::format("{}:{}: label '{}' is not a class of the training list (which has: {})", name,
                      row.line, label, class_list(*classes)));
    }
  }
  if (out.paths.empty()) throw std::invalid_argument(fmt::format("{}: no images listed", name));
  if (classes) {
    out.classes = *classes;
  } else {
    out.classes = label_set(labels);
  }
  // Labels by a map: lists of a million rows and a thousand classes.
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < out.classes.size(); ++i) index[out.classes[i]] = static_cast<int64_t>(i);
  for (const auto& label : labels) out.labels.push_back(index.at(label));
  return out;
}

ImageFiles read_image_list(const std::string& list, const std::string& image_root,
                           const std::vector<std::string>* classes) {
  if (!fs::is_regular_file(list)) {
    throw std::runtime_error(fmt::format("{}: no such list file", list));
  }
  return parse_image_list(read_file(list), list, image_root, classes);
}

ImageCheck check_images(const ImageFiles& files, const io::DecodeOptions& decode, int64_t workers,
                        const std::function<void(int64_t)>& progress) {
  io::DecodeOptions smallest = decode;
  smallest.min_side = 1;
  std::vector<std::string> reasons(files.paths.size());
  std::vector<char> colour(files.paths.size(), 0);
  std::atomic<int64_t> next{0}, done{0};
  std::mutex progress_mutex;
  const auto work = [&] {
    for (int64_t i = next++; i < files.size(); i = next++) {
      const auto& path = files.paths[static_cast<size_t>(i)];
      try {
        const auto image = io::decode_image(read_file(path), path, smallest);
        colour[static_cast<size_t>(i)] = image.channels == 3;
      } catch (const std::exception& e) {
        // The decoders' messages start with the path; keep the reason.
        std::string reason = e.what();
        if (reason.rfind(path + ": ", 0) == 0) reason = reason.substr(path.size() + 2);
        reasons[static_cast<size_t>(i)] = reason.empty() ? "unreadable" : reason;
      }
      const int64_t d = ++done;
      if (progress && d % 5000 == 0) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(d);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int64_t w = 1; w < std::max<int64_t>(1, workers); ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  ImageCheck out;
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (!reasons[i].empty()) out.bad.push_back({files.paths[i], reasons[i]});
    out.colour += colour[i];
  }
  return out;
}

ImageFiles without(ImageFiles files, const std::vector<BadFile>& bad) {
  if (bad.empty()) return files;
  std::vector<std::string> skip;
  for (const auto& b : bad) skip.push_back(b.path);
  std::sort(skip.begin(), skip.end());
  ImageFiles out;
  out.classes = files.classes;
  out.source = files.source;
  for (size_t i = 0; i < files.paths.size(); ++i) {
    if (std::binary_search(skip.begin(), skip.end(), files.paths[i])) continue;
    out.paths.push_back(std::move(files.paths[i]));
    out.labels.push_back(files.labels[i]);
  }
  return out;
}

ImageFiles open_split(const ImageFolderOptions& o, bool validation,
                      const std::vector<std::string>* classes) {
  if (o.root.empty()) throw std::invalid_argument("data.root is empty: give the dataset's folder");
  const bool lists = !o.train_list.empty() || !o.val_list.empty();
  if (lists && (o.train_list.empty() || o.val_list.empty())) {
    throw std::invalid_argument(
        "data.train_list and data.val_list go together: give both list files or neither");
  }
  const auto& name =
      lists ? (validation ? o.val_list : o.train_list) : (validation ? o.val_split : o.train_split);
  const auto path = fs::path(name).is_absolute() ? name : (fs::path(o.root) / name).string();
  return lists ? read_image_list(path, o.root, classes) : scan_image_folder(path, classes);
}

void settle_bad_files(const std::vector<BadFile>& bad, const ImageFolderOptions& o,
                      const std::function<void(const std::string&)>& print) {
  if (o.bad_files != "error" && o.bad_files != "skip") {
    throw std::invalid_argument(
        fmt::format("data.bad_files = '{}' is not valid; expected error | skip", o.bad_files));
  }
  if (bad.empty()) return;
  std::string listing;
  for (const auto& b : bad) listing += fmt::format("{}\t{}\n", b.path, b.reason);
  if (!o.bad_files_out.empty()) write_file_atomic(o.bad_files_out, listing);
  if (o.bad_files == "error") {
    std::string shown;
    for (size_t i = 0; i < std::min<size_t>(bad.size(), 20); ++i) {
      shown += fmt::format("\n  {}: {}", bad[i].path, bad[i].reason);
    }
    if (bad.size() > 20) shown += fmt::format("\n  ... and {} more", bad.size() - 20);
    throw std::runtime_error(fmt::format(
        "{} image file(s) cannot be read:{}{}\nfix or remove them, or set data.bad_files = "
        "\"skip\" to train without them",
        bad.size(), shown,
        o.bad_files_out.empty() ? "" : fmt::format("\n(all listed in {})", o.bad_files_out)));
  }
  print(fmt::format("data: skipped {} unreadable file(s) (data.bad_files = skip), listed in {}",
                    bad.size(), o.bad_files_out.empty() ? "(nowhere)" : o.bad_files_out));
}

ImageFolderData open_image_folder(const ImageFolderOptions& o,
                                  const std::function<void(const std::string&)>& print) {
  settle_bad_files({}, o, print);  // checks data.bad_files before the scan
  ImageFolderData data;
  data.train = open_split(o, /*validation=*/false);
  data.val = open_split(o, /*validation=*/true, &data.train.classes);
  print(fmt::format("data: {} training images ({}), {} validation images ({}), {} classes",
                    data.train.size(), data.train.source, data.val.size(), data.val.source,
                    data.train.classes.size()));

  std::vector<BadFile> bad;
  int64_t colour = 0;
  for (const auto* split : {&data.train, &data.val}) {
    const auto check = check_images(*split, o.decode, o.workers, [&](int64_t n) {
      print(fmt::format("data: checked {}/{} files of {}", n, split->size(), split->source));
    });
    bad.insert(bad.end(), check.bad.begin(), check.bad.end());
    colour += check.colour;
  }
  data.colour = colour > 0;
  settle_bad_files(bad, o, print);
  if (!bad.empty()) {
    data.train = without(std::move(data.train), bad);
    data.val = without(std::move(data.val), bad);
    data.skipped = static_cast<int64_t>(bad.size());
    const auto counts = data.train.counts();
    for (size_t c = 0; c < counts.size(); ++c) {
      if (counts[c] == 0) {
        throw std::runtime_error(
            fmt::format("{}: every image of class '{}' was skipped as unreadable",
                        data.train.source, data.train.classes[c]));
      }
    }
  }
  if (data.val.size() == 0) {
    throw std::runtime_error(fmt::format("{}: no readable validation images", data.val.source));
  }
  const auto train_counts = data.train.counts(), val_counts = data.val.counts();
  const auto [low, high] = std::minmax_element(train_counts.begin(), train_counts.end());
  print(fmt::format(
      "data: training images per class {} ('{}') to {} ('{}'), validation {} to {}; {} images",
      *low, data.train.classes[static_cast<size_t>(low - train_counts.begin())], *high,
      data.train.classes[static_cast<size_t>(high - train_counts.begin())],
      *std::min_element(val_counts.begin(), val_counts.end()),
      *std::max_element(val_counts.begin(), val_counts.end()), data.colour ? "RGB" : "grey"));
  if (train_counts.size() <= 20) {
    // Few classes: each with its counts (all of them are in classes.tsv in any case).
    std::string line = "data: images per class (train/val):";
    for (size_t c = 0; c < train_counts.size(); ++c) {
      line += fmt::format("  {} {}/{}", data.train.classes[c], train_counts[c],
                          c < val_counts.size() ? val_counts[c] : 0);
    }
    print(line);
  }
  return data;
}

std::string class_table(const ImageFolderData& data) {
  const auto train = data.train.counts(), val = data.val.counts();
  std::string out = "label\tclass\ttrain\tval\n";
  for (size_t c = 0; c < train.size(); ++c) {
    out += fmt::format("{}\t{}\t{}\t{}\n", c, data.train.classes[c], train[c],
                       c < val.size() ? val[c] : 0);
  }
  return out;
}

}  // namespace setformer::data
