// The Set Transformer experiments: the mixture log-likelihood and the EM step against loops in
// double precision, EM never lowering the likelihood, the oracle on generated data matching the
// paper's (−1.4726, −1.8202), short training runs that learn, and the results table.
#include "setformer/tasks/sets.h"

#include "setformer/core/files.h"

#include "common/errors.h"
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

namespace setformer::tasks {
namespace {

/// log Σ_j π_j N(x; μ_j, diag σ_j²) for one point, by loops.
double point_log_likelihood(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& mu,
                            const torch::Tensor& var) {
  double total = 0;
  for (int64_t j = 0; j < w.size(0); ++j) {
    double log_density = std::log(w[j].item<double>());
    for (int64_t d = 0; d < x.size(0); ++d) {
      const double v = var[j][d].item<double>(),
                   diff = x[d].item<double>() - mu[j][d].item<double>();
      log_density += -0.5 * std::log(2 * M_PI * v) - 0.5 * diff * diff / v;
    }
    total += std::exp(log_density);
  }
  return std::log(total);
}

struct Mixture {
  torch::Tensor x, pad, w, mu, var;
};

Mixture random_mixture() {
  torch::manual_seed(12);
  Mixture m;
  m.x = torch::randn({2, 6, 2}, torch::kDouble) * 2;
  m.pad = torch::zeros({2, 6}, torch::kBool);
  m.pad[1].slice(0, 4).fill_(true);
  m.w = torch::softmax(torch::randn({2, 3}, torch::kDouble), 1);
  m.mu = torch::randn({2, 3, 2}, torch::kDouble) * 2;
  m.var = torch::rand({2, 3, 2}, torch::kDouble) + 0.2;
  return m;
}

TEST(MixtureLogLikelihood, MatchesLoopsPerSet) {
  const auto m = random_mixture();
  const auto ll = mixture_log_likelihood(m.x, m.pad, m.w, m.mu, m.var);
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t n = b == 0 ? 6 : 4;
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += point_log_likelihood(m.x[b][i], m.w[b], m.mu[b], m.var[b]);
    EXPECT_NEAR(ll[b].item<double>(), sum / n, 1e-12);
  }
}

TEST(EmStep, MatchesTheClosedFormAndNeverLowersTheLikelihood) {
  const auto m = random_mixture();
  const auto p = em_step(m.x, m.pad, {m.w, m.mu, m.var});
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t n = b == 0 ? 6 : 4;
    // Responsibilities by loops, then the weighted statistics.
    std::vector<std::vector<double>> r(static_cast<size_t>(n), std::vector<double>(3));
    for (int64_t i = 0; i < n; ++i) {
      const double total = std::exp(point_log_likelihood(m.x[b][i], m.w[b], m.mu[b], m.var[b]));
      for (int64_t j = 0; j < 3; ++j) {
        const auto one = torch::ones({1}, torch::kDouble);
        r[i][j] = m.w[b][j].item<double>() *
                  std::exp(point_log_likelihood(m.x[b][i], one, m.mu[b].slice(0, j, j + 1),
                                                m.var[b].slice(0, j, j + 1))) /
                  total;
      }
    }
    for (int64_t j = 0; j < 3; ++j) {
      double mass = 0, mean[2] = {0, 0};
      for (int64_t i = 0; i < n; ++i) {
        mass += r[i][j];
        for (int d = 0; d < 2; ++d) mean[d] += r[i][j] * m.x[b][i][d].item<double>();
      }
      EXPECT_NEAR(p.weights[b][j].item<double>(), mass / n, 1e-12);
      for (int d = 0; d < 2; ++d) {
        mean[d] /= mass;
        double spread = 0;
        for (int64_t i = 0; i < n; ++i)
          spread += r[i][j] * std::pow(m.x[b][i][d].item<double>() - mean[d], 2);
        EXPECT_NEAR(p.means[b][j][d].item<double>(), mean[d], 1e-10);
        EXPECT_NEAR(p.variances[b][j][d].item<double>(), spread / mass + 1e-4, 1e-10);
      }
    }
  }
  // EM is monotone (up to the variance floor, far below these differences).
  const auto before = mixture_log_likelihood(m.x, m.pad, m.w, m.mu, m.var);
  const auto after = mixture_log_likelihood(m.x, m.pad, p.weights, p.means, p.variances);
  EXPECT_TRUE((after >= before - 1e-9).all().item<bool>()) << before << after;
}

TEST(Oracle, MatchesThePapersOnGeneratedMixtures) {
  // The log-likelihood per point of the true parameters, averaged over sets: the paper's oracle
  // is −1.4726 (k = 4, n in 100..500) and −1.8202 (k = 6, n in 1000..5000). Standard errors of
  // these means are about 0.005 and 0.01.
  for (const auto& [k, lo, hi, sets, expected] :
       {std::tuple{4, 100, 500, 2000, -1.4726}, std::tuple{6, 1000, 5000, 300, -1.8202}}) {
    const auto batch = data::mixture_batch(
        data::MixtureOptions().components(k).min_size(lo).max_size(hi), sets, 77);
    const auto var = torch::full_like(batch.means, 0.09);
    const double oracle =
        mixture_log_likelihood(batch.x, batch.padding, batch.weights, batch.means, var)
            .mean()
            .item<double>();
    EXPECT_NEAR(oracle, expected, 0.02) << "k = " << k;
  }
}

TEST(MixtureParameters, ReadsTheOutputsAsWeightsMeansAndVariances) {
  const auto out = torch::randn({2, 4, 5});
  const auto p = mixture_parameters(out);
  EXPECT_TRUE(p.weights.sum(1).allclose(torch::ones({2})));
  EXPECT_TRUE(p.means.equal(out.slice(2, 1, 3)));
  EXPECT_TRUE(p.variances.allclose(torch::nn::functional::softplus(out.slice(2, 3)).pow(2) + 1e-4));
  testing::expect_invalid_argument(
      [] {
        mixture_parameters(torch::randn({2, 4, 4}));
      },
      "1 + 2D features");
}

SetExperimentConfig quick(const std::string& task, const std::string& out) {
  SetExperimentConfig c;
  c.task = task;
  c.out = out;
  c.threads = 1;
  c.dim = 32;
  c.heads = 4;
  c.test_sets = 200;
  c.checkpoint_every = 0;
  c.log_every = 1000;
  c.eval_every = 0;
  return c;
}

TEST(SetExperiment, MaxRegressionLearnsAndTheTableComparesWithThePaper) {
  testing::TempDir dir;
  auto c = quick("max_regression", (dir.root() / "sab").string());
  c.row = "SAB + PMA";
  c.steps = 1000;
  c.batch_size = 32;
  // No LayerNorm, as the row's config and the authors' code: with it, 1000 steps sit on the
  // edge of learning and the MAE depends on the seed (1.8 to 14.6 over seeds 0-4).
  c.layer_norm = false;
  const auto r = train_set_experiment(c, [](const std::string&) {});
  // Predicting 0 gives an MAE near 77 (the mean maximum of 1..10 uniforms on [0, 100]); the
  // best constant, about 17 (where short runs at too high a rate get stuck). Without LayerNorm
  // 1000 steps find the maximum: MAE 0.28 to 2.3 over seeds 0-4.
  EXPECT_LT(r.metrics["test_mae"].get<double>(), 6.0) << r.metrics.dump();
  for (const char* f : {"summary.json", "checkpoint.pt", "log.jsonl", "predictions.png"})
    EXPECT_TRUE(std::filesystem::exists(dir.root() / "sab" / f)) << f;

  const auto md = write_set_table({(dir.root() / "sab" / "summary.json").string()},
                                  (dir.root() / "table").string(), "cmd");
  EXPECT_NE(md.find("| SAB + PMA"), std::string::npos) << md;
  EXPECT_NE(md.find("0.2085"), std::string::npos) << md;
  const auto j = nlohmann::json::parse(read_file((dir.root() / "table.json").string()));
  EXPECT_EQ(j["rows"][0]["paper"]["mae"].get<double>(), 0.2085);

  // `setformer eval`: the checkpoint alone gives the run's last evaluation again.
  const auto checkpoint = (dir.root() / "sab" / "checkpoint.pt").string();
  const auto again = evaluate_set_checkpoint(checkpoint, (dir.root() / "eval").string(), "cpu",
                                             [](const std::string&) {});
  EXPECT_NEAR(again["test_mae"].get<double>(), r.metrics["test_mae"].get<double>(), 1e-6);
  const auto eval_json =
      nlohmann::json::parse(read_file((dir.root() / "eval" / "eval.json").string()));
  EXPECT_EQ(eval_json["task"], "max_regression");
  EXPECT_EQ(eval_json["step"], 1000);

  // `setformer predict`: a set of the user's, as a JSON array; the answer is its maximum, to
  // within the test error.
  const auto set = (dir.root() / "set.json").string();
  write_file_atomic(set, "[10, 50.5, 90, 20]");
  const auto lines = predict_sets(checkpoint, {set}, "cpu");
  ASSERT_EQ(lines.size(), 1u);
  const auto at = lines[0].find("predicted maximum ");
  ASSERT_NE(at, std::string::npos) << lines[0];
  EXPECT_NEAR(std::stod(lines[0].substr(at + 18)), 90.0, 10.0) << lines[0];
  write_file_atomic(set, "[10, [50], \"x\"]");
  testing::expect_runtime_error([&] { predict_sets(checkpoint, {set}, "cpu"); },
                                "set.json: element 2 is \"x\", expected a number");
}

TEST(SetExperiment, ClusteringLearnsBeyondAConstantGuess) {
  testing::TempDir dir;
  auto c = quick("clustering", (dir.root() / "isab").string());
  c.row = "ISAB (16) + PMA";
  c.encoder = {"isab"};
  c.decoder_sabs = 1;
  c.min_size = 40;
  c.max_size = 60;
  c.steps = 200;
  c.batch_size = 10;
  c.lr = 3e-3;
  const auto r = train_set_experiment(c, [](const std::string&) {});
  const double ll0 = r.metrics["test_ll0"].get<double>(), ll1 = r.metrics["test_ll1"].get<double>();
  // One broad Gaussian over the [−4, 4]² square scores about −3.7; the oracle about −1.5.
  EXPECT_GT(ll0, -3.5) << r.metrics.dump();
  EXPECT_GT(ll1, ll0);
  EXPECT_NEAR(r.metrics["oracle_ll"].get<double>(), -1.47, 0.1);
  const auto md = write_set_table({(dir.root() / "isab" / "summary.json").string()},
                                  (dir.root() / "table").string(), "cmd");
  EXPECT_NE(md.find("Oracle"), std::string::npos) << md;
  EXPECT_NE(md.find("-1.5009"), std::string::npos) << md;
}

TEST(SetExperiment, UniqueCountRunsOnFashionMnistSets) {
  testing::TempDir dir;
  auto c = quick("unique_count", (dir.root() / "count").string());
  c.row = "SAB + PMA";
  c.dim = 16;
  c.steps = 30;
  c.batch_size = 8;
  c.test_sets = 100;
  c.eval_batch_size = 50;
  c.lr = 3e-3;
  const auto r = train_set_experiment(c, [](const std::string&) {});
  const double accuracy = r.metrics["test_accuracy"].get<double>();
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  // Poisson NLL: about 6.9 at the untrained rate softplus(0) = 0.69, 2.30 at the best constant
  // rate (the mean count, 4.5); 30 steps reach about 2.6.
  EXPECT_LT(r.metrics["test_poisson_nll"].get<double>(), 3.5) << r.metrics.dump();
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "count" / "predictions.png"));
  const auto table = write_set_table({(dir.root() / "count" / "summary.json").string()},
                                     (dir.root() / "table").string(), "cmd");
  EXPECT_NE(table.find("0.6037"), std::string::npos) << table;
}

TEST(SetExperiment, ConfigErrorsNameTheField) {
  SetExperimentConfig c;
  c.task = "sorting";
  testing::expect_invalid_argument([&] { set_model_options(c); }, "task.name = 'sorting'");
  c.task = "clustering";
  c.encoder = {"sab", "lstm"};
  testing::expect_invalid_argument([&] { models::SetTransformer{set_model_options(c)}; },
                                   "model.encoder[1] = 'lstm'");
  c.encoder = {"sab"};
  c.min_size = 9;
  c.max_size = 3;
  testing::expect_invalid_argument([&] { set_model_options(c); }, "data.min_size");
  c.max_size = 0;
  c.steps = 0;
  testing::expect_invalid_argument([&] { set_model_options(c); }, "optim.steps");
  EXPECT_TRUE(paper_figures("clustering", "no such row").empty());
  EXPECT_EQ(paper_figures("unique_count", "SAB + PMA")["accuracy"].get<double>(), 0.6037);
}

}  // namespace
}  // namespace setformer::tasks
