// Writes the fuzz targets' seed corpora: for the decoder, small JPEGs (grey, RGB, CMYK, with EXIF
// orientations), PNGs (every colour type, 1- to 16-bit, palette, interlaced) and PGM/PPM files, so
// that the fuzzer starts from valid files of every kind the decoder reads; with --lists, CSV and
// TSV list files of images and labels (headers, quoting, numeric labels) for the list parser;
// with --text, labelled TSV, CSV and JSONL (pairs, quoting over lines, BOM, CRLF, bad UTF-8).
// Usage: make_seeds DIR | make_seeds --lists DIR | make_seeds --text DIR
#include "common/image_fixtures.h"

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace setformer::testing;

int main(int argc, char** argv) {
  const bool lists = argc == 3 && std::string(argv[1]) == "--lists";
  const bool text = argc == 3 && std::string(argv[1]) == "--text";
  if (argc != 2 && !lists && !text) {
    std::cerr << "usage: make_seeds DIR | make_seeds --lists DIR | make_seeds --text DIR\n";
    return 2;
  }
  const std::string dir = argv[argc - 1];
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  if (text) {
    write("pairs.tsv", "id\ta\tb\tlabel\n0\tA \"quoted\" cat.\tA cat.\tentailment\n1\tx\ty\t\n");
    write("headless.tsv", "1\tOur friends won't buy this.\r\n0\tThey drank the pub.\r\n");
    write("quoted.csv", "label,text,id\n1,\"a, \"\"b\"\"\nc\",7\n0,plain,8\n,,\n");
    write("bom.csv", "\xEF\xBB\xBFtext,label\ncaf\xC3\xA9,1\nbad \xC3\x28,0\n");
    write("rows.jsonl",
          "{\"text\": \"hi\", \"label\": 1, \"id\": \"a\"}\n{\"a\": \"x\", \"b\": \"y\"}\n"
          "{\"text\": \"s\", \"label\": 2.5}\n[1]\n");
    return 0;
  }
  if (lists) {
    write("header.csv", "path,label\nimg/a.jpg,ant\nimg/b.png,bee\n");
    write("swapped.csv", "label,file\r\n2,x.jpg\r\n10,\"y, z.jpg\"\r\n");
    write("quoted.csv", "\"a \"\"b\"\".png\",ant\n\"two\nlines.jpg\",bee,extra\n");
    write("plain.tsv", "a.jpg\tant\nb.jpg\tbee\n\n");
    write("bom.csv",
          "\xEF\xBB\xBF"
          "a.jpg,10\nb.jpg,2\n");
    return 0;
  }
  std::vector<uint8_t> rgb, grey;
  for (int i = 0; i < 12 * 10; ++i) {
    rgb.insert(rgb.end(), {static_cast<uint8_t>(i * 2), static_cast<uint8_t>(255 - i),
                           static_cast<uint8_t>(i % 7 * 30)});
    grey.push_back(static_cast<uint8_t>(i * 2));
  }
  write("rgb.jpg", encode_jpeg(rgb, 12, 10, 3, 90));
  write("grey.jpg", encode_jpeg(grey, 12, 10, 1, 90));
  write("cmyk.jpg", encode_jpeg(std::vector<uint8_t>(12 * 10 * 4, 60), 12, 10, 4, 90));
  write("turned_ii.jpg", encode_jpeg(rgb, 12, 10, 3, 90, 6, false));
  write("turned_mm.jpg", encode_jpeg(rgb, 12, 10, 3, 90, 8, true));
  write("rgb.png", encode_png(rgb, 12, 10, PngLayout{}));
  PngLayout layout;
  layout.interlaced = true;
  write("interlaced.png", encode_png(rgb, 12, 10, layout));
  layout = PngLayout{};
  layout.colour_type = 0;
  write("grey.png", encode_png(grey, 12, 10, layout));
  layout.bit_depth = 16;
  write("grey16.png", encode_png(std::vector<uint8_t>(12 * 10 * 2, 0x80), 12, 10, layout));
  layout.bit_depth = 2;
  write("grey2.png", encode_png(std::vector<uint8_t>(12 * 10, 3), 12, 10, layout));
  layout = PngLayout{};
  layout.colour_type = 3;
  layout.palette = {255, 0, 0, 0, 255, 0, 0, 0, 255};
  write("palette.png", encode_png(std::vector<uint8_t>(12 * 10, 2), 12, 10, layout));
  layout = PngLayout{};
  layout.colour_type = 6;
  write("rgba.png", encode_png(std::vector<uint8_t>(12 * 10 * 4, 200), 12, 10, layout));
  write("grey.pgm", "P5\n3 2\n255\n\x01\x02\x03\x04\x05\x06");
  write("ascii.ppm", "P3\n# comment\n2 1\n15\n1 2 3 4 5 6\n");
  write("wide.pgm", std::string("P5\n1 1\n65535\n\x12\x34", 16));
  std::cout << "seeds written to " << dir << "\n";
  return 0;
}
