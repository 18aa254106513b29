#include "setformer/io/config.h"

#include "setformer/core/files.h"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

namespace setformer::io {

struct Config::Data {
  toml::table table;
};

Config::Config(std::unique_ptr<Data> data, std::string source)
    : data_(std::move(data)), source_(std::move(source)) {}
Config::~Config() = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

Config Config::parse(const std::string& text, const std::string& source) {
  try {
    auto data = std::make_unique<Data>();
    data->table = toml::parse(text, source);
    return Config(std::move(data), source);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                            e.source().begin.column, e.description()));
  }
}

Config Config::load(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(fmt::format("config: {}", e.what()));
  }
  return parse(text, path);
}

namespace {

void collect_keys(const toml::table& table, const std::string& prefix,
                  std::vector<std::string>& out) {
  for (const auto& [key, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      collect_keys(*sub, name, out);
    } else {
      out.push_back(name);
    }
  }
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

}  // namespace

void Config::check_keys(const std::set<std::string>& known) const {
  std::vector<std::string> keys;
  collect_keys(data_->table, "", keys);
  for (const auto& key : keys) {
    if (known.count(key)) continue;
    std::string choices;
    for (const auto& k : known) choices += (choices.empty() ? "" : ", ") + k;
    throw std::invalid_argument(
        fmt::format("{}: unknown key '{}'; known keys: {}", source_, key, choices));
  }
}

namespace {

template <class T>
std::optional<T> scalar(const toml::table& table, const std::string& source, const std::string& key,
                        const char* expected) {
  const toml::node* node = table.at_path(key).node();
  if (!node) return std::nullopt;
  if constexpr (std::is_same_v<T, double>) {
    if (auto v = node->value<int64_t>(); v && node->is_integer()) return static_cast<double>(*v);
  }
  if (const auto* v = node->as<T>()) return v->get();
  throw std::invalid_argument(
      fmt::format("{}: key '{}' must be {}, got {}", source, key, expected, type_name(*node)));
}

template <class T>
std::optional<std::vector<T>> array(const toml::table& table, const std::string& source,
                                    const std::string& key, const char* expected) {
  const toml::node* node = table.at_path(key).node();
  if (!node) return std::nullopt;
  const auto* arr = node->as_array();
  std::vector<T> out;
  bool ok = arr != nullptr;
  for (size_t i = 0; ok && i < arr->size(); ++i) {
    const auto& element = (*arr)[i];
    if constexpr (std::is_same_v<T, double>) {
      if (const auto* n = element.as<int64_t>()) {
        out.push_back(static_cast<double>(n->get()));
        continue;
      }
    }
    const auto* v = element.as<T>();
    ok = v != nullptr;
    if (ok) out.push_back(v->get());
  }
  if (!ok)
    throw std::invalid_argument(fmt::format("{}: key '{}' must be {}", source, key, expected));
  return out;
}

}  // namespace

std::optional<int64_t> Config::integer(const std::string& key) const {
  return scalar<int64_t>(data_->table, source_, key, "an integer");
}
std::optional<double> Config::number(const std::string& key) const {
  return scalar<double>(data_->table, source_, key, "a number");
}
std::optional<bool> Config::boolean(const std::string& key) const {
  return scalar<bool>(data_->table, source_, key, "true or false");
}
std::optional<std::string> Config::string(const std::string& key) const {
  return scalar<std::string>(data_->table, source_, key, "a string");
}
std::optional<std::vector<int64_t>> Config::integers(const std::string& key) const {
  return array<int64_t>(data_->table, source_, key, "an array of integers");
}
std::optional<std::vector<std::string>> Config::strings(const std::string& key) const {
  return array<std::string>(data_->table, source_, key, "an array of strings");
}
std::optional<std::vector<double>> Config::numbers(const std::string& key) const {
  return array<double>(data_->table, source_, key, "an array of numbers");
}

}  // namespace setformer::io
