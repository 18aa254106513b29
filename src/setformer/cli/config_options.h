// Command options declared once, with both a command-line flag and a TOML config key: the value
// is the default, replaced by the config file's key (--config FILE), replaced by the flag when
// it is given. Unknown config keys are errors naming the key.
#pragma once

#include "setformer/io/config.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace setformer::cli {

namespace detail {
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
std::optional<T> read(const io::Config& c, const std::string& key) {
  if constexpr (std::is_same_v<T, bool>) {
    return c.boolean(key);
  } else if constexpr (std::is_integral_v<T>) {
    const auto v = c.integer(key);
    return v ? std::optional<T>(static_cast<T>(*v)) : std::nullopt;
  } else if constexpr (std::is_floating_point_v<T>) {
    const auto v = c.number(key);
    return v ? std::optional<T>(static_cast<T>(*v)) : std::nullopt;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return c.string(key);
  } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    return c.integers(key);
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    return c.numbers(key);
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>, "unsupported option type");
    return c.strings(key);
  }
}
}  // namespace detail

template <class Options>
class ConfigurableOptions {
 public:
  explicit ConfigurableOptions(CLI::App* cmd) : cmd_(cmd) {
    cmd->add_option("--config", config_, "TOML file with any of the options (flags override it)")
        ->check(CLI::ExistingFile);
  }

  /// Adds `--flag` bound to `member`, also read from config `key`. Lists take comma-separated
  /// values on the command line.
  template <class T>
  CLI::Option* add(const std::string& flag, const std::string& key, T Options::*member,
                   const std::string& help) {
    CLI::Option* option;
    if constexpr (std::is_same_v<T, bool>) {
      // `--resume` alone means true; `--flip=false` turns a default-on switch off.
      option = cmd_->add_flag(flag, flags_.*member, help + " [config: " + key + "]");
    } else {
      option = cmd_->add_option(flag, flags_.*member, help + " [config: " + key + "]");
    }
    option->capture_default_str();
    if constexpr (detail::is_vector<T>::value) option->delimiter(',');
    keys_.insert(key);
    apply_.push_back([this, option, key, member](const io::Config* config, Options& out) {
      if (config) {
        if (auto v = detail::read<T>(*config, key)) out.*member = *v;
      }
      if (option->count() > 0) out.*member = flags_.*member;
    });
    return option;
  }

  /// `out` (the defaults), then the config file, then the flags given.
  Options resolve(Options out = Options()) const { return resolve_file(config_, std::move(out)); }

  /// `out`, then the config file `path` (none when empty) in place of --config, then the flags
  /// given: for commands that read several configurations with the same keys.
  Options resolve_file(const std::string& path, Options out = Options()) const {
    std::unique_ptr<io::Config> config;
    if (!path.empty()) {
      config = std::make_unique<io::Config>(io::Config::load(path));
      config->check_keys(keys_);
    }
    for (const auto& apply : apply_) apply(config.get(), out);
    return out;
  }

 private:
  CLI::App* cmd_;
  std::string config_;
  Options flags_;
  std::set<std::string> keys_;
  std::vector<std::function<void(const io::Config*, Options&)>> apply_;
};

}  // namespace setformer::cli
