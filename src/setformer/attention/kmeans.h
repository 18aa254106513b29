// Spherical k-means (cosine similarity), used to initialise SeT's references from features
// sampled from the training set (SeTformer paper §3: "the centroids obtained by conducting
// K-means clustering to feature vectors in the training set").
#pragma once

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>

namespace setformer::attention {

struct KMeansOptions {
  /// Upper bound on Lloyd iterations; stops earlier once no assignment changes.
  TORCH_ARG(int64_t, iterations) = 50;
  /// Seed of the k-means++ initialisation.
  TORCH_ARG(uint64_t, seed) = 0;
  /// [k, d] starting centroids (e.g. the current references) instead of k-means++; undefined:
  /// k-means++.
  TORCH_ARG(torch::Tensor, initial) = {};
};

struct KMeansResult {
  /// [k, d], unit norm.
  torch::Tensor centroids;
  /// [k, d]: plain means of each cluster's (unnormalised) features.
  torch::Tensor means;
  /// [N] int64: index of each feature's centroid.
  torch::Tensor assignments;
  /// Mean cosine similarity of features to their centroids (the maximised objective).
  double mean_similarity = 0.0;
  int64_t iterations = 0;
};

/// Clusters features [N, d] (N >= k) into k groups maximising Σ_i <x̂_i, c_a(i)> over unit
/// centroids: k-means++ seeding with cosine distance, Lloyd iterations, and an empty cluster
/// re-seeded with the feature farthest from its centroid. Deterministic given the seed.
KMeansResult spherical_kmeans(const torch::Tensor& features, int64_t k,
                              const KMeansOptions& options = {});

}  // namespace setformer::attention
