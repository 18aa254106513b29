// Image folders and list files: the torchvision layout and its errors, list parsing, and the scan
// that reports every unreadable file with its reason.
#include "setformer/data/image_folder.h"

#include "common/errors.h"
#include "common/image_fixtures.h"
#include "common/temp_dir.h"
#include "setformer/core/files.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace setformer::data {
namespace {

namespace fs = std::filesystem;

std::string small_png(int side = 6, int channels = 3) {
  testing::PngLayout layout;
  layout.colour_type = channels == 3 ? 2 : 0;
  return testing::encode_png(std::vector<uint8_t>(static_cast<size_t>(side * side * channels), 90),
                             side, side, layout);
}

std::string small_jpeg(int side = 16, int channels = 3) {
  return testing::encode_jpeg(std::vector<uint8_t>(static_cast<size_t>(side * side * channels), 40),
                              side, side, channels);
}

void put(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, bytes);
}

TEST(ImageFolder, ClassesAreSortedFolderNamesAndFilesAreFoundRecursively) {
  const testing::TempDir dir;
  const auto root = dir.path("train");
  put(root + "/dog/b.png", small_png());
  put(root + "/dog/nested/a.JPG", small_jpeg());
  put(root + "/dog/README.txt", "not an image");
  put(root + "/cat/x.png", small_png());
  const auto files = scan_image_folder(root);
  EXPECT_EQ(files.classes, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(files.size(), 3);
  EXPECT_EQ(files.paths[0], root + "/cat/x.png");
  EXPECT_EQ(files.paths[1], root + "/dog/b.png");
  EXPECT_EQ(files.paths[2], root + "/dog/nested/a.JPG");
  EXPECT_EQ(files.labels, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(files.counts(), (std::vector<int64_t>{1, 2}));
}

TEST(ImageFolder, ValidationTakesTheTrainingClassesAndRefusesOthers) {
  const testing::TempDir dir;
  put(dir.path("val/dog/1.png"), small_png());
  const std::vector<std::string> classes{"cat", "dog"};
  const auto val = scan_image_folder(dir.path("val"), &classes);
  EXPECT_EQ(val.labels, (std::vector<int64_t>{1}));
  put(dir.path("val/wolf/1.png"), small_png());
  testing::expect_runtime_error([&] { scan_image_folder(dir.path("val"), &classes); },
                                "val/wolf: class 'wolf' is not a class of the training split");
}

TEST(ImageFolder, EmptyClassesMissingFoldersAndFlatFoldersAreErrors) {
  const testing::TempDir dir;
  testing::expect_runtime_error([&] { scan_image_folder(dir.path("nowhere")); },
                                "nowhere: no such folder");
  put(dir.path("flat/a.png"), small_png());
  testing::expect_runtime_error([&] { scan_image_folder(dir.path("flat")); }, "no class folders");
  put(dir.path("t/cat/a.png"), small_png());
  put(dir.path("t/empty/notes.txt"), "x");
  testing::expect_runtime_error([&] { scan_image_folder(dir.path("t")); },
                                "t/empty: class folder holds no image files");
}

TEST(ImageList, ReadsHeadersRelativePathsAndNumericClassesInOrder) {
  const auto files =
      parse_image_list("label,file\n10,a.jpg\n2,sub/b.png\n10,/abs/c.png\n", "train.csv", "/data");
  EXPECT_EQ(files.classes, (std::vector<std::string>{"2", "10"}));  // numerically
  EXPECT_EQ(files.paths,
            (std::vector<std::string>{"/data/a.jpg", "/data/sub/b.png", "/abs/c.png"}));
  EXPECT_EQ(files.labels, (std::vector<int64_t>{1, 0, 1}));
  // No header: path then label; TSV by the extension; names sort as text.
  const auto tsv = parse_image_list("x.png\tzebra\ny.png\tant\n", "l.tsv", "");
  EXPECT_EQ(tsv.classes, (std::vector<std::string>{"ant", "zebra"}));
  EXPECT_EQ(tsv.paths[0], "x.png");
}

TEST(ImageList, BadRowsNameTheFileAndLine) {
  const std::vector<std::string> classes{"ant", "bee"};
  testing::expect_invalid_argument(
      [&] { parse_image_list("a.png,ant\nb.png,wasp\n", "val.csv", "", &classes); },
      "val.csv:2: label 'wasp' is not a class of the training list");
  testing::expect_invalid_argument([] { parse_image_list("a.png,ant\nb.png\n", "l.csv", ""); },
                                   "l.csv:2: 1 field(s), expected at least 2");
  testing::expect_invalid_argument([] { parse_image_list("a.png,\n", "l.csv", ""); },
                                   "l.csv:1: empty label");
  testing::expect_invalid_argument([] { parse_image_list("path,name\na,b\n", "l.csv", ""); },
                                   "l.csv:1: the header names a path column but not a label");
  testing::expect_invalid_argument([] { parse_image_list("\n\n", "l.csv", ""); }, "empty");
  testing::expect_invalid_argument([] { parse_image_list("path,label\n", "l.csv", ""); },
                                   "no images listed");
}

TEST(ImageCheck, ReportsEveryBadFileWithItsReason) {
  const testing::TempDir dir;
  // A noisy JPEG whose entropy-coded data is most of the file: cut in half, the scan is truncated.
  std::vector<uint8_t> noise(64 * 64 * 3);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>((i * 37 + i / 7) % 251);
  const auto good_png = small_png(), good_jpeg = testing::encode_jpeg(noise, 64, 64, 3);
  put(dir.path("t/a/good.png"), good_png);
  put(dir.path("t/a/grey.jpg"), small_jpeg(16, 1));
  put(dir.path("t/a/empty.png"), "");
  put(dir.path("t/a/text.jpg"), "hello, I am text");
  put(dir.path("t/a/truncated.jpg"), good_jpeg.substr(0, good_jpeg.size() / 2));
  put(dir.path("t/a/cmyk.jpg"), testing::encode_jpeg(std::vector<uint8_t>(8 * 8 * 4, 7), 8, 8, 4));
  // A file that cannot be read at all: a link to nothing.
  fs::create_symlink(dir.path("nowhere.png"), dir.path("t/a/dangling.png"));
  const auto files = scan_image_folder(dir.path("t"));
  const auto check = check_images(files, io::DecodeOptions{}, 3);
  ASSERT_EQ(check.bad.size(), 5u);
  std::map<std::string, std::string> reasons;
  for (const auto& b : check.bad) reasons[fs::path(b.path).filename().string()] = b.reason;
  EXPECT_NE(reasons["empty.png"].find("empty file"), std::string::npos);
  EXPECT_NE(reasons["text.jpg"].find("unrecognised header"), std::string::npos);
  EXPECT_NE(reasons["truncated.jpg"].find("truncated or corrupt JPEG"), std::string::npos);
  EXPECT_NE(reasons["cmyk.jpg"].find("CMYK"), std::string::npos);
  EXPECT_NE(reasons["dangling.png"].find("cannot read"), std::string::npos)
      << reasons["dangling.png"];
  EXPECT_EQ(check.colour, 1);  // good.png; grey.jpg decodes to one channel
  // A pixel limit below every size (36 and 256 pixels) reports the readable files too.
  io::DecodeOptions tight;
  tight.max_pixels = 20;
  EXPECT_EQ(check_images(files, tight, 1).bad.size(), 7u);
}

TEST(ImageFolderData, BadFilesStopTheRunOrAreSkippedAndListed) {
  const testing::TempDir dir;
  put(dir.path("d/train/a/1.png"), small_png());
  put(dir.path("d/train/a/2.png"), "");
  put(dir.path("d/train/b/1.png"), small_png());
  put(dir.path("d/val/a/1.png"), small_png());
  put(dir.path("d/val/b/1.png"), small_png(6, 1));
  ImageFolderOptions o;
  o.root = dir.path("d");
  o.bad_files_out = dir.path("bad.tsv");
  std::vector<std::string> lines;
  const auto print = [&](const std::string& l) { lines.push_back(l); };
  testing::expect_runtime_error(
      [&] { open_image_folder(o, print); },
      "1 image file(s) cannot be read:\n  " + dir.path("d/train/a/2.png") + ": empty file");
  o.bad_files = "skip";
  lines.clear();
  const auto data = open_image_folder(o, print);
  EXPECT_EQ(lines.back(), "data: images per class (train/val):  a 1/1  b 1/1");
  EXPECT_EQ(data.train.size(), 2);
  EXPECT_EQ(data.val.size(), 2);
  EXPECT_EQ(data.skipped, 1);
  EXPECT_TRUE(data.colour);
  EXPECT_EQ(read_file(dir.path("bad.tsv")),
            dir.path("d/train/a/2.png") + "\tempty file (0 bytes)\n");
  EXPECT_EQ(class_table(data), "label\tclass\ttrain\tval\n0\ta\t1\t1\n1\tb\t1\t1\n");
  // Every image of a class unreadable: nothing to learn it from.
  put(dir.path("d/train/b/1.png"), "broken");
  testing::expect_runtime_error([&] { open_image_folder(o, print); },
                                "every image of class 'b' was skipped");
  o.bad_files = "maybe";
  testing::expect_invalid_argument([&] { open_image_folder(o, print); },
                                   "data.bad_files = 'maybe' is not valid");
}

TEST(ImageFolderData, ListFilesComeInPairs) {
  const testing::TempDir dir;
  put(dir.path("d/img/1.png"), small_png());
  put(dir.path("d/img/2.png"), small_png());
  put(dir.path("d/train.csv"), "path,label\nimg/1.png,x\nimg/2.png,y\n");
  put(dir.path("d/val.csv"), "img/2.png,y\n");
  ImageFolderOptions o;
  o.root = dir.path("d");
  o.train_list = "train.csv";
  testing::expect_invalid_argument([&] { open_image_folder(o, [](const std::string&) {}); },
                                   "data.train_list and data.val_list go together");
  o.val_list = "val.csv";
  const auto data = open_image_folder(o, [](const std::string&) {});
  EXPECT_EQ(data.train.classes, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(data.val.labels, (std::vector<int64_t>{1}));
  EXPECT_EQ(data.val.paths[0], dir.path("d") + "/img/2.png");
}

}  // namespace
}  // namespace setformer::data
