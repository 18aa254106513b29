// Datasets of the user's own image files, in the two layouts torchvision and timm users keep:
// an image folder (ROOT/<split>/<class>/**/<image>, classes the sorted folder names) and a list
// file (CSV or TSV rows of relative path and label). Opening one scans it: counts per class and
// split, and every file that does not decode reported at once with its reason. No LibTorch here,
// so that the list parser's fuzz target (fuzz/image_list_fuzz.cpp) builds in seconds.
#pragma once

#include "setformer/io/image_decode.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace setformer::data {

/// Whether `path` names an image file by its extension (.jpg .jpeg .png .ppm .pgm .pnm, any
/// case). Other files in a class folder (README, .DS_Store, annotations) are ignored.
bool is_image_file(const std::string& path);

/// The image files under `folder`, found recursively (following links), sorted by path.
std::vector<std::string> find_image_files(const std::string& folder);

/// Image files and their labels: the input of a folder-backed ImageLoader (data/loader.h).
struct ImageFiles {
  std::vector<std::string> paths;
  std::vector<int64_t> labels;       // in [0, classes.size())
  std::vector<std::string> classes;  // label -> name
  std::string source;                // the folder or list file, for messages
  int64_t size() const { return static_cast<int64_t>(paths.size()); }
  /// Images per class, in label order.
  std::vector<int64_t> counts() const;
};

/// torchvision's ImageFolder over `folder`: one sub-folder per class, image files found
/// recursively (following links) and sorted by path within each class. Without `classes` the
/// classes are the sorted sub-folder names; with them (the training split's), every sub-folder
/// must be one of them and labels follow that list. Errors name the folder: missing, no class
/// sub-folders, a class sub-folder without image files, a class the training split lacks.
ImageFiles scan_image_folder(const std::string& folder,
                             const std::vector<std::string>* classes = nullptr);

/// A list file of images and labels: CSV (RFC 4180 quoting) or TSV by its extension
/// (io/delimited.h), one image per row as `path,label`; further columns are ignored. A first row
/// naming its columns (path|file|filename|image, label|class|target, any order) is a header.
/// Paths are relative to `image_root` unless absolute. Labels are class names; the classes are
/// the training list's sorted labels (numerically when all are integers). With `classes` (the
/// training list's) a label outside them is an error naming the file and line.
ImageFiles read_image_list(const std::string& list, const std::string& image_root,
                           const std::vector<std::string>* classes = nullptr);

/// read_image_list on the list's text, `name` naming it in errors (the fuzz target's entry).
ImageFiles parse_image_list(std::string_view text, const std::string& name,
                            const std::string& image_root,
                            const std::vector<std::string>* classes = nullptr);

struct BadFile {
  std::string path, reason;
};

struct ImageCheck {
  std::vector<BadFile> bad;  // in the files' order
  int64_t colour = 0;        // files that decode to RGB (the others are grey)
};

/// Decodes every file of `files` on `workers` threads and reports all that fail, each with the
/// decoder's reason (empty, unrecognised, truncated or corrupt, too many pixels, CMYK). JPEGs
/// are decoded at their smallest DCT scale: the whole entropy-coded stream is still read, so
/// truncation is found, at a fraction of the cost. `progress` (optional) receives the count of
/// files checked now and then.
ImageCheck check_images(const ImageFiles& files, const io::DecodeOptions& decode, int64_t workers,
                        const std::function<void(int64_t checked)>& progress = {});

/// What the training and validation data of an image-folder run are.
struct ImageFolderOptions {
  std::string root;                                      // the dataset's folder
  std::string train_split = "train", val_split = "val";  // sub-folders of root
  std::string train_list, val_list;  // list files (relative to root) instead of the folders
  std::string bad_files = "error";   // error | skip
  std::string bad_files_out;         // where `skip` writes the list of skipped files
  io::DecodeOptions decode;
  int64_t workers = 1;
};

/// The training or validation split `options` names: its list file or its class folders under
/// options.root (scan_image_folder, read_image_list), with the training split's `classes`.
ImageFiles open_split(const ImageFolderOptions& options, bool validation,
                      const std::vector<std::string>* classes = nullptr);

/// Applies options.bad_files to the files a check found bad: writes them to
/// options.bad_files_out, then throws listing them (error) or says how many were skipped (skip).
/// Nothing to do when `bad` is empty, beyond checking the option's value.
void settle_bad_files(const std::vector<BadFile>& bad, const ImageFolderOptions& options,
                      const std::function<void(const std::string&)>& print);

/// `files` without the paths in `bad`.
ImageFiles without(ImageFiles files, const std::vector<BadFile>& bad);

struct ImageFolderData {
  ImageFiles train, val;
  bool colour = false;  // whether any image is RGB
  int64_t skipped = 0;  // bad files left out (bad_files = skip)
};

/// Scans both splits and checks every file. With bad_files = "error" any bad file is an error
/// listing them all (the first 20 in the message, every one in `bad_files_out` when set); with
/// "skip" they are left out, listed in `bad_files_out`, and `print` says how many. `print`
/// also receives the counts per split and class.
ImageFolderData open_image_folder(const ImageFolderOptions& options,
                                  const std::function<void(const std::string&)>& print);

/// The per-class table written beside a run (classes.tsv): label, class, train and val counts.
std::string class_table(const ImageFolderData& data);

}  // namespace setformer::data
