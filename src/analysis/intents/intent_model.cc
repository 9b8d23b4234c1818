#include "analysis/intents/intent_model.h"

#include <immintrin.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "analysis/intents/feature_index.h"
#include "analysis/intents/text_features.h"
#include "analysis/intents/vector_math.h"
#include "core/absl_compat.h"
#include "core/splitmix.h"

// 32-byte GCC vectors are only used inside functions here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace parley::analysis::intents {
namespace {

constexpr std::string_view kMagic = "parley-intent-model 3";

bool HasWhitespace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

// splitmix64: the training order (and so the model) is the same on every
// platform.
uint64_t NextRandom(uint64_t* state) { return core::SplitMix64(state); }

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

absl::Status CheckOptions(const TrainOptions& o) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("invalid training option: ", Sv(what)));
  };
  if (o.epochs < 1 || o.epochs > 10000) return bad("epochs must be in [1, 10000]");
  if (!(o.learning_rate > 0) || o.learning_rate > 100) return bad("learning rate must be in (0, 100]");
  if (!(o.l2 >= 0) || o.l2 > 1) return bad("l2 must be in [0, 1]");
  if (o.word_ngrams < 1 || o.word_ngrams > 3) return bad("word n-grams must be in [1, 3]");
  if (o.min_char_ngram < 0 || o.max_char_ngram < 0 || o.max_char_ngram > 12)
    return bad("character n-gram lengths must be in [0, 12]");
  if (o.min_char_ngram > 0 && o.max_char_ngram < o.min_char_ngram)
    return bad("the largest character n-gram must be at least the smallest");
  if (o.word_pair_window < 0 || o.word_pair_window > 64)
    return bad("word pair window must be in [0, 64]");
  if (o.min_count < 1 || o.min_count > 1000) return bad("min count must be in [1, 1000]");
  if (o.dim < 0 || o.dim > 1000 || o.dim % 8 != 0)
    return bad("dim must be a multiple of 8 in [0, 1000]");
  if (o.embedding_epochs < 1 || o.embedding_epochs > 10000)
    return bad("embedding epochs must be in [1, 10000]");
  if (!(o.embedding_learning_rate > 0) || o.embedding_learning_rate > 100)
    return bad("embedding learning rate must be in (0, 100]");
  if (!(o.embedding_weight >= 0) || o.embedding_weight > 1)
    return bad("embedding weight must be in [0, 1]");
  return absl::OkStatus();
}

// The hot loops of prediction and training, over rows whose length is a
// multiple of 8 floats. Written with GCC vector types so that they vectorise
// at -O2; compiled for AVX2 too and chosen at load time where the CPU has it.
typedef float Floats8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t Ints8 __attribute__((vector_size(32), aligned(4)));

// acc[0..n) += row[0..n).
[[gnu::target_clones("avx2", "default")]] void AddRow(float* __restrict acc,
                                                      const float* __restrict row, int n) {
  for (int k = 0; k < n; k += 8) {
    *reinterpret_cast<Floats8*>(acc + k) += *reinterpret_cast<const Floats8*>(row + k);
  }
}

[[gnu::target_clones("avx2", "default")]] float Dot(const float* __restrict a,
                                                    const float* __restrict b, int n) {
  Floats8 sum = {};
  for (int k = 0; k < n; k += 8) {
    sum += *reinterpret_cast<const Floats8*>(a + k) * *reinterpret_cast<const Floats8*>(b + k);
  }
  return sum[0] + sum[1] + sum[2] + sum[3] + sum[4] + sum[5] + sum[6] + sum[7];
}

// row[0..n) = row * decay - step * grad.
[[gnu::target_clones("avx2", "default")]] void UpdateRow(float* __restrict row,
                                                         const float* __restrict grad, float step,
                                                         float decay, int n) {
  for (int k = 0; k < n; k += 8) {
    Floats8* r = reinterpret_cast<Floats8*>(row + k);
    *r = *r * decay - step * *reinterpret_cast<const Floats8*>(grad + k);
  }
}

// Integer sums of int8 rows: totals[0..width) += the sum over i of row
// rows[i] of the matrix at `base` (`stride` bytes per row). Exact, so the
// AVX2 and portable versions give the same totals.
//
// AVX2: rows in pairs; 32 columns of the two are interleaved byte by byte
// and added pairwise by vpmaddubsw (times 1) into 16 int16 sums per
// register (4 instructions per 32 columns of 2 rows). int16 holds 256 rows
// of values in [-127, 127] (the quantisation's range), so the sums are
// widened into the int32 totals every 256 rows. Up to 6 x 32 columns per
// pass over the rows; loads may reach up to 31 bytes past a row's `width`,
// into the next row or the table's padding. Rows are prefetched 32 ahead
// (the first 32 before the loop), non-temporally (they are not reused soon):
// requesting all ~190 first stalls on the core's few outstanding-miss
// buffers; 16 ahead was too close once the sums got cheaper; 64 no better.
template <int V>
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void SumInt8BlockAvx2(
    const int8_t* base, size_t stride, const uint32_t* rows, size_t n, int32_t* totals,
    int width) {
  static_assert(V >= 1 && V <= 6);
  alignas(32) static const int8_t kZeros[32 * 6] = {};
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i lo[V], hi[V];
  for (int j = 0; j < V; ++j) lo[j] = hi[j] = _mm256_setzero_si256();
  auto prefetch = [&](size_t i) {
    // Every cache line of columns [0, width) of row i.
    const char* p = reinterpret_cast<const char*>(base + rows[i] * stride);
    for (int b = 0; b < width; b += 64) _mm_prefetch(p + b, _MM_HINT_NTA);
    if ((reinterpret_cast<uintptr_t>(p) & 63) != 0) _mm_prefetch(p + width - 1, _MM_HINT_NTA);
  };
  constexpr size_t kAhead = 32;
  for (size_t i = 0; i < std::min(n, kAhead); ++i) prefetch(i);
  for (size_t i = 0; i < n; i += 2) {
    if (i + kAhead < n) prefetch(i + kAhead);
    if (i + kAhead + 1 < n) prefetch(i + kAhead + 1);
    const int8_t* a = base + rows[i] * stride;
    const int8_t* b = i + 1 < n ? base + rows[i + 1] * stride : kZeros;
#pragma GCC unroll 6
    for (int j = 0; j < V; ++j) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * j));
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32 * j));
      // Per 128-bit lane: columns 0-7 (lo) and 8-15 (hi) of x and y interleaved.
      lo[j] = _mm256_add_epi16(lo[j], _mm256_maddubs_epi16(ones, _mm256_unpacklo_epi8(x, y)));
      hi[j] = _mm256_add_epi16(hi[j], _mm256_maddubs_epi16(ones, _mm256_unpackhi_epi8(x, y)));
    }
  }
  alignas(32) int32_t wide[32 * V];
  for (int j = 0; j < V; ++j) {
    int32_t* w = wide + 32 * j;
    // lo holds columns 0-7 | 16-23, hi 8-15 | 24-31.
    _mm256_store_si256(reinterpret_cast<__m256i*>(w), _mm256_cvtepi16_epi32(_mm256_castsi256_si128(lo[j])));
    _mm256_store_si256(reinterpret_cast<__m256i*>(w + 8), _mm256_cvtepi16_epi32(_mm256_castsi256_si128(hi[j])));
    _mm256_store_si256(reinterpret_cast<__m256i*>(w + 16), _mm256_cvtepi16_epi32(_mm256_extracti128_si256(lo[j], 1)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(w + 24), _mm256_cvtepi16_epi32(_mm256_extracti128_si256(hi[j], 1)));
  }
  for (int k = 0; k < width; ++k) totals[k] += wide[k];
}

[[gnu::target("avx2,fma")]] void SumInt8RowsAvx2(const int8_t* base, size_t stride, int width,
                                                 const uint32_t* rows, size_t n,
                                                 int32_t* totals) {
  constexpr size_t kRowsPerPass = 256;
  for (int c = 0; c < width; c += 192) {
    const int cols = std::min(192, width - c);
    for (size_t start = 0; start < n; start += kRowsPerPass) {
      const size_t m = std::min(kRowsPerPass, n - start);
      const int8_t* b = base + c;
      int32_t* t = totals + c;
      const uint32_t* r = rows + start;
      switch ((cols + 31) / 32) {
        case 1: SumInt8BlockAvx2<1>(b, stride, r, m, t, cols); break;
        case 2: SumInt8BlockAvx2<2>(b, stride, r, m, t, cols); break;
        case 3: SumInt8BlockAvx2<3>(b, stride, r, m, t, cols); break;
        case 4: SumInt8BlockAvx2<4>(b, stride, r, m, t, cols); break;
        case 5: SumInt8BlockAvx2<5>(b, stride, r, m, t, cols); break;
        default: SumInt8BlockAvx2<6>(b, stride, r, m, t, cols); break;
      }
    }
  }
}

void SumInt8RowsPortable(const int8_t* base, size_t stride, int width, const uint32_t* rows,
                         size_t n, int32_t* totals) {
  for (size_t i = 0; i < n; ++i) {
    const int8_t* q = base + rows[i] * stride;
    for (int k = 0; k < width; ++k) totals[k] += q[k];
  }
}

void SumInt8Rows(const int8_t* base, size_t stride, int width, const uint32_t* rows, size_t n,
                 int32_t* totals) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  (avx2 ? SumInt8RowsAvx2 : SumInt8RowsPortable)(base, stride, width, rows, n, totals);
}

// 64-byte aligned memory; blocks of 2 MiB and more are aligned to 2 MiB and
// offered to the kernel as transparent huge pages, so that the rows of a
// prediction (random lines of a ~7 MB table) do not each miss the TLB.
template <typename T>
struct RowAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t{2} << 20;
  RowAllocator() = default;
  template <typename U>
  RowAllocator(const RowAllocator<U>&) {}
  static size_t Alignment(size_t bytes) { return bytes >= kHuge ? kHuge : 64; }
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    void* p = ::operator new(bytes, std::align_val_t{Alignment(bytes)});
    if (bytes >= kHuge) madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);  // a hint; may fail
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    ::operator delete(p, std::align_val_t{Alignment(n * sizeof(T))});
  }
  bool operator==(const RowAllocator&) const { return true; }
};

// What prediction reads for each feature, in one row so that a feature
// costs one trip to memory: the linear component's weights (`linear_width`
// values), then the feature's embedding (`embedding_width`), as int8. Each
// column has one scale (its largest magnitude over all rows / 127), so the
// rows of an utterance are summed exactly in integers and scaled once.
struct FeatureTable {
  // Bytes readable past the last row (see SumInt8BlockAvx2).
  static constexpr size_t kPadding = 32;

  int linear_width = 0;     // a multiple of 8
  int embedding_width = 0;  // a multiple of 8; 0 without an embedding component
  // rows x (linear_width + embedding_width) then kPadding zero bytes; 64-byte
  // aligned so that a row of 128 bytes (77 intents, dim 48) is exactly two
  // cache lines.
  std::vector<int8_t, RowAllocator<int8_t>> values;
  std::vector<float> column_scales;  // row_bytes(): linear, then embedding

  size_t row_bytes() const { return static_cast<size_t>(linear_width) + embedding_width; }
  size_t rows() const { return row_bytes() == 0 ? 0 : (values.size() - kPadding) / row_bytes(); }

  // Sets part 0 (linear) or 1 (embedding) of every row from a float matrix
  // of that part's width.
  void Quantize(int part, const std::vector<float>& matrix) {
    const int w = part == 0 ? linear_width : embedding_width;
    const size_t offset = part == 0 ? 0 : linear_width;
    const size_t n_rows = matrix.size() / w;
    values.resize(n_rows * row_bytes() + kPadding);
    column_scales.resize(row_bytes());
    for (int k = 0; k < w; ++k) {
      float max = 0;
      for (size_t r = 0; r < n_rows; ++r) max = std::max(max, std::fabs(matrix[r * w + k]));
      const float scale = column_scales[offset + k] = max / 127;
      for (size_t r = 0; r < n_rows; ++r) {
        values[r * row_bytes() + offset + k] =
            max > 0 ? static_cast<int8_t>(std::lrint(matrix[r * w + k] / scale)) : 0;
      }
    }
  }

  // out[0..row_bytes()) = the sum of `rows`, scaled: the linear part, then
  // the embedding part.
  void Sum(const std::vector<uint32_t>& rows, float* out) const {
    thread_local std::vector<int32_t> totals;
    totals.assign(row_bytes(), 0);
    SumInt8Rows(values.data(), row_bytes(), static_cast<int>(row_bytes()), rows.data(),
                rows.size(), totals.data());
    // row_bytes() is a multiple of 8 (GCC -O2 would leave a plain loop scalar).
    for (size_t k = 0; k < row_bytes(); k += 8) {
      Ints8 t;
      Floats8 c;
      std::memcpy(&t, &totals[k], sizeof t);
      std::memcpy(&c, &column_scales[k], sizeof c);
      Floats8 v = __builtin_convertvector(t, Floats8) * c;
      std::memcpy(out + k, &v, sizeof v);
    }
  }
};

// Little-endian binary writer and bounds-checked reader for the model body.
class Writer {
 public:
  template <typename T>
  void Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename Vector>
  void PutArray(const Vector& v) {
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v[0]));
  }
  void PutString(std::string_view s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() < sizeof *v) return false;
    std::memcpy(v, in_.data(), sizeof *v);
    in_.remove_prefix(sizeof *v);
    return true;
  }
  template <typename Vector>
  bool GetArray(size_t n, Vector* v) {
    using T = typename Vector::value_type;
    if (n > in_.size() / sizeof(T)) return false;
    v->resize(n);
    std::memcpy(v->data(), in_.data(), n * sizeof(T));
    in_.remove_prefix(n * sizeof(T));
    return true;
  }
  bool GetString(std::string* s) {
    uint32_t n;
    if (!Get(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

// The embedding component's output layer: out[0..stride) = hidden . output,
// `output` being dim x stride.
[[gnu::target_clones("avx2", "default")]] void OutputScores(const std::vector<float>& output,
                                                           int dim, int stride,
                                                           const float* __restrict hidden,
                                                           float* __restrict out) {
  std::fill(out, out + stride, 0.0f);
  for (int j = 0; j < dim; ++j) {
    const float* row = &output[static_cast<size_t>(j) * stride];
    for (int k = 0; k < stride; k += 8) {
      *reinterpret_cast<Floats8*>(out + k) += hidden[j] * *reinterpret_cast<const Floats8*>(row + k);
    }
  }
}

// Prediction's OutputScores: the same sums, each column block held in
// registers across the `dim` rows (instead of loaded and stored for each)
// and with FMA; training keeps OutputScores, so that trained models stay
// bit-identical whatever the CPU.
template <int V>
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void OutputBlockAvx2(
    const float* output, int dim, int stride, const float* hidden, float* out) {
  __m256 acc[V];
  for (int v = 0; v < V; ++v) acc[v] = _mm256_setzero_ps();
  for (int j = 0; j < dim; ++j) {
    const __m256 h = _mm256_broadcast_ss(hidden + j);
    const float* row = output + static_cast<size_t>(j) * stride;
#pragma GCC unroll 10
    for (int v = 0; v < V; ++v) acc[v] = _mm256_fmadd_ps(h, _mm256_loadu_ps(row + 8 * v), acc[v]);
  }
  for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + 8 * v, acc[v]);
}

[[gnu::target("avx2,fma")]] void OutputScoresAvx2(const std::vector<float>& output, int dim,
                                                  int stride, const float* hidden, float* out) {
  for (int c = 0; c < stride; c += 80) {
    const float* o = output.data() + c;
    switch (std::min(10, (stride - c) / 8)) {
      case 1: OutputBlockAvx2<1>(o, dim, stride, hidden, out + c); break;
      case 2: OutputBlockAvx2<2>(o, dim, stride, hidden, out + c); break;
      case 3: OutputBlockAvx2<3>(o, dim, stride, hidden, out + c); break;
      case 4: OutputBlockAvx2<4>(o, dim, stride, hidden, out + c); break;
      case 5: OutputBlockAvx2<5>(o, dim, stride, hidden, out + c); break;
      case 6: OutputBlockAvx2<6>(o, dim, stride, hidden, out + c); break;
      case 7: OutputBlockAvx2<7>(o, dim, stride, hidden, out + c); break;
      case 8: OutputBlockAvx2<8>(o, dim, stride, hidden, out + c); break;
      case 9: OutputBlockAvx2<9>(o, dim, stride, hidden, out + c); break;
      default: OutputBlockAvx2<10>(o, dim, stride, hidden, out + c); break;
    }
  }
}

void FastOutputScores(const std::vector<float>& output, int dim, int stride, const float* hidden,
                      float* out) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  (avx2 ? OutputScoresAvx2 : OutputScores)(output, dim, stride, hidden, out);
}

// Prediction's Confidences: the same with a vectorised exp (vector_math.h).
// Training keeps std::exp, so that trained models stay bit-identical.
void FastConfidences(float* z, int n, TrainOptions::Loss loss) {
  if (loss == TrainOptions::Loss::kSoftmax) {
    FastSoftmax(z, static_cast<size_t>(n));
  } else {
    FastSigmoid(z, static_cast<size_t>(n));
  }
}

// Scores -> confidences in [0, 1], in place, over the first n.
void Confidences(float* z, int n, TrainOptions::Loss loss) {
  if (loss == TrainOptions::Loss::kSoftmax) {
    float max = *std::max_element(z, z + n), sum = 0;
    for (int k = 0; k < n; ++k) sum += (z[k] = std::exp(z[k] - max));
    for (int k = 0; k < n; ++k) z[k] /= sum;
  } else {
    for (int k = 0; k < n; ++k) z[k] = 1.0f / (1.0f + std::exp(-z[k]));
  }
}

struct IntentModel::Impl {
  TextNormalization normalization = TextNormalization::kDefault;
  TrainOptions::Loss loss = TrainOptions::Loss::kSoftmax;
  FeatureOptions features;
  std::vector<std::string> labels;
  std::vector<uint64_t> keys;  // the feature of each weight row
  FeatureIndex index;
  int stride = 0;              // the label count rounded up to 8
  std::vector<float> bias;     // stride
  FeatureTable table;          // keys.size() rows
  // The embedding component (see TrainOptions::dim); empty when dim == 0.
  int dim = 0;
  TrainOptions::Loss embedding_loss = TrainOptions::Loss::kOneVsAll;
  float embedding_weight = 0;
  std::vector<float> output;   // dim x stride

  // The features of `text` as weight rows, and the scales 1/sqrt(n) (which
  // makes the linear model's feature vector unit length) and 1/n (the mean
  // for the embedding component), n = feature occurrences. Unknown features
  // count towards n but have no row. False if `text` has no tokens.
  bool Rows(std::string_view text, std::vector<uint32_t>* rows, float* scale,
            float* inv_n) const {
    thread_local std::string tokens;
    thread_local std::unique_ptr<uint64_t[]> hashes;  // not zeroed on growth
    thread_local size_t capacity = 0;
    NormalizeText(text, normalization, &tokens);
    if (tokens.empty()) return false;
    const size_t max = MaxFeatures(tokens.size(), features);
    if (max > capacity) {
      capacity = std::max(max, 2 * capacity);
      hashes = std::make_unique_for_overwrite<uint64_t[]>(capacity);
    }
    const size_t n = ExtractFeatures(tokens, features, hashes.get());
    rows->resize(n);
    uint32_t* out = rows->data();
    index.FindAll(hashes.get(), n, out);
    size_t found = 0;
    for (size_t i = 0; i < n; ++i) {
      // Kept only if found, without a branch on it.
      const uint32_t row = out[i];
      out[found] = row;
      found += row != FeatureIndex::kMissing;
    }
    rows->resize(found);
    *scale = 1.0f / std::sqrt(static_cast<float>(std::max<size_t>(1, n)));
    *inv_n = 1.0f / static_cast<float>(std::max<size_t>(1, n));
    return true;
  }

  // The confidences of `text` (labels.size() of them) in a thread-local
  // buffer valid until the next call on this thread; null if `text` has no
  // tokens.
  const float* Scores(std::string_view text) const;

  // Confidences of both components mixed, in out[0..stride).
  void Predict(const std::vector<uint32_t>& rows, float scale, float inv_n, float* out) const {
    thread_local std::vector<float> sums, z;
    sums.resize(table.row_bytes());
    table.Sum(rows, sums.data());
    // stride and dim are multiples of 8: 8 at a time (GCC -O2 would leave
    // plain loops scalar).
    for (int k = 0; k < stride; k += 8) {
      Floats8 v, b;
      std::memcpy(&v, &sums[k], sizeof v);
      std::memcpy(&b, &bias[k], sizeof b);
      v = v * scale + b;
      std::memcpy(out + k, &v, sizeof v);
    }
    const int n = static_cast<int>(labels.size());
    FastConfidences(out, n, loss);
    if (dim == 0) return;
    float* hidden = sums.data() + stride;
    z.resize(stride);
    for (int j = 0; j < dim; j += 8) {
      Floats8 v;
      std::memcpy(&v, hidden + j, sizeof v);
      v *= inv_n;
      std::memcpy(hidden + j, &v, sizeof v);
    }
    FastOutputScores(output, dim, stride, hidden, z.data());
    FastConfidences(z.data(), n, embedding_loss);
    // Padding columns (n..stride) are mixed too, and never read.
    const float w = embedding_weight;
    for (int k = 0; k < stride; k += 8) {
      Floats8 a, b;
      std::memcpy(&a, out + k, sizeof a);
      std::memcpy(&b, &z[k], sizeof b);
      a = (1 - w) * a + w * b;
      std::memcpy(out + k, &a, sizeof a);
    }
  }

  std::string Serialize() const {
    Writer w;
    w.Put<uint32_t>(loss == TrainOptions::Loss::kSoftmax ? 0 : 1);
    w.Put<uint32_t>(features.word_ngrams);
    w.Put<uint32_t>(features.min_char_ngram);
    w.Put<uint32_t>(features.max_char_ngram);
    w.Put<uint32_t>(features.word_pair_window);
    w.Put<uint32_t>(static_cast<uint32_t>(labels.size()));
    for (const std::string& label : labels) w.PutString(label);
    w.Put<uint64_t>(keys.size());
    w.PutArray(keys);
    w.PutArray(bias);
    w.Put<uint32_t>(dim);
    if (dim > 0) {
      w.Put<uint32_t>(embedding_loss == TrainOptions::Loss::kSoftmax ? 0 : 1);
      w.Put<float>(embedding_weight);
      w.PutArray(output);
    }
    w.PutArray(table.column_scales);
    w.PutArray(std::string_view(reinterpret_cast<const char*>(table.values.data()),
                                table.rows() * table.row_bytes()));
    w.Put<uint64_t>(Fnv1a(w.bytes()));
    return std::move(w.bytes());
  }

  // The body written by Serialize; "" on success, else what is wrong.
  std::string Deserialize(std::string_view body) {
    if (body.size() < sizeof(uint64_t)) return "truncated";
    uint64_t checksum;
    std::memcpy(&checksum, body.data() + body.size() - sizeof checksum, sizeof checksum);
    body.remove_suffix(sizeof checksum);
    if (Fnv1a(body) != checksum) return "checksum mismatch (truncated or corrupt)";
    Reader r(body);
    uint32_t loss_id, ngrams, minn, maxn, pairs, n_labels;
    if (!r.Get(&loss_id) || !r.Get(&ngrams) || !r.Get(&minn) || !r.Get(&maxn) || !r.Get(&pairs) ||
        !r.Get(&n_labels)) {
      return "truncated";
    }
    if (loss_id > 1) return "unknown loss";
    loss = loss_id == 0 ? TrainOptions::Loss::kSoftmax : TrainOptions::Loss::kOneVsAll;
    if (ngrams < 1 || ngrams > 3 || minn > 12 || maxn > 12 || (minn > 0 && maxn < minn) ||
        pairs > 64) {
      return "bad feature options";
    }
    features = FeatureOptions{static_cast<int>(ngrams), static_cast<int>(minn),
                              static_cast<int>(maxn), static_cast<int>(pairs)};
    if (n_labels < 2 || n_labels > 100000) return "bad label count";
    labels.resize(n_labels);
    for (std::string& label : labels) {
      if (!r.GetString(&label)) return "truncated";
      if (label.empty() || HasWhitespace(label)) return "bad label";
    }
    stride = (static_cast<int>(n_labels) + 7) / 8 * 8;
    uint64_t n_rows;
    if (!r.Get(&n_rows) || n_rows > (uint64_t{1} << 31) || !r.GetArray(n_rows, &keys) ||
        !r.GetArray(stride, &bias)) {
      return "truncated";
    }
    uint32_t dim_in;
    if (!r.Get(&dim_in) || dim_in > 1000 || dim_in % 8 != 0) return "bad dim";
    dim = static_cast<int>(dim_in);
    if (dim > 0) {
      uint32_t emb_loss;
      if (!r.Get(&emb_loss) || emb_loss > 1 || !r.Get(&embedding_weight) ||
          !(embedding_weight >= 0 && embedding_weight <= 1) ||
          !r.GetArray(size_t{dim_in} * stride, &output)) {
        return "truncated";
      }
      embedding_loss = emb_loss == 0 ? TrainOptions::Loss::kSoftmax : TrainOptions::Loss::kOneVsAll;
    }
    table.linear_width = stride;
    table.embedding_width = dim;
    if (!r.GetArray(table.row_bytes(), &table.column_scales) ||
        !r.GetArray(n_rows * table.row_bytes(), &table.values)) {
      return "truncated";
    }
    table.values.resize(table.values.size() + FeatureTable::kPadding);
    if (!r.done()) return "trailing bytes";
    std::vector<uint64_t> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    if ((!sorted.empty() && sorted[0] == 0) ||
        std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return "bad feature keys";
    }
    index = FeatureIndex(keys);
    return "";
  }
};

IntentModel::IntentModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IntentModel::IntentModel(IntentModel&&) noexcept = default;
IntentModel& IntentModel::operator=(IntentModel&&) noexcept = default;
IntentModel::~IntentModel() = default;

absl::StatusOr<IntentModel> IntentModel::Train(const std::vector<Example>& examples,
                                               const TrainOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (examples.empty()) return absl::InvalidArgumentError("no training examples");

  auto impl = std::make_unique<Impl>();
  impl->normalization = options.normalization;
  impl->loss = options.loss;
  impl->features = FeatureOptions{options.word_ngrams, options.min_char_ngram,
                                  options.min_char_ngram > 0 ? options.max_char_ngram : 0,
                                  options.word_pair_window};

  // Labels in byte order; each example's features as hashes.
  std::map<std::string, int> label_ids;
  std::vector<std::vector<uint64_t>> hashes(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (e.label.empty() || HasWhitespace(e.label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "example ", i, ": label \"", e.label, "\" must be non-empty and contain no whitespace"));
    }
    std::string tokens = NormalizeText(e.text, options.normalization);
    if (tokens.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("example ", i, ": text has no words"));
    }
    ExtractFeatures(tokens, impl->features, &hashes[i]);
    label_ids.emplace(e.label, 0);
  }
  if (label_ids.size() < 2) {
    return absl::InvalidArgumentError("training needs examples of at least two labels");
  }
  for (auto& [label, id] : label_ids) {
    id = static_cast<int>(impl->labels.size());
    impl->labels.push_back(label);
  }
  const int n_labels = static_cast<int>(impl->labels.size());
  const int stride = impl->stride = (n_labels + 7) / 8 * 8;

  // Keep the features seen at least min_count times; rows in hash order.
  {
    std::vector<uint64_t> all;
    for (const auto& h : hashes) all.insert(all.end(), h.begin(), h.end());
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i < all.size();) {
      size_t j = i;
      while (j < all.size() && all[j] == all[i]) ++j;
      if (static_cast<int>(j - i) >= options.min_count) impl->keys.push_back(all[i]);
      i = j;
    }
  }
  impl->index = FeatureIndex(impl->keys);

  struct Encoded {
    std::vector<uint32_t> rows;
    float scale;
    float inv_n;
    int label;
  };
  std::vector<Encoded> data(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    Encoded& d = data[i];
    for (uint64_t h : hashes[i]) {
      uint32_t row = impl->index.Find(h);
      if (row != FeatureIndex::kMissing) d.rows.push_back(row);
    }
    d.scale = 1.0f / std::sqrt(static_cast<float>(hashes[i].size()));
    d.inv_n = 1.0f / static_cast<float>(hashes[i].size());
    d.label = label_ids[examples[i].label];
    hashes[i] = {};
  }

  // The linear component: multinomial (or one-vs-all) logistic regression by
  // SGD with a linearly decaying learning rate.
  impl->bias.assign(stride, 0.0f);
  std::vector<float> weights(impl->keys.size() * stride, 0.0f);
  std::vector<float> z(stride), grad(stride, 0.0f);
  std::vector<size_t> order(data.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  uint64_t rng = static_cast<uint64_t>(options.seed);
  const double total_steps = static_cast<double>(options.epochs) * data.size();
  double step_count = 0;
  const int passes = options.epochs + (options.dim > 0 ? options.embedding_epochs : 0);
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    if (epoch > 0 && options.on_epoch) options.on_epoch(epoch, passes);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[NextRandom(&rng) % i]);
    for (size_t i : order) {
      const Encoded& d = data[i];
      const float lr = static_cast<float>(options.learning_rate * (1 - step_count / total_steps));
      step_count += 1;
      std::fill(z.begin(), z.end(), 0.0f);
      for (uint32_t r : d.rows) AddRow(z.data(), &weights[static_cast<size_t>(r) * stride], stride);
      for (int k = 0; k < stride; ++k) z[k] = z[k] * d.scale + impl->bias[k];
      Confidences(z.data(), n_labels, options.loss);
      for (int k = 0; k < n_labels; ++k) grad[k] = z[k] - (k == d.label ? 1.0f : 0.0f);
      const float decay = 1.0f - lr * static_cast<float>(options.l2);
      UpdateRow(impl->bias.data(), grad.data(), lr, 1.0f, stride);
      for (uint32_t r : d.rows) {
        UpdateRow(&weights[static_cast<size_t>(r) * stride], grad.data(), lr * d.scale, decay, stride);
      }
    }
  }
  impl->table.linear_width = stride;
  impl->table.embedding_width = options.dim;
  impl->table.Quantize(0, weights);
  weights = {};

  if (options.dim > 0) {
    // The embedding component, trained by its own SGD as fastText trains
    // its supervised model.
    const int dim = impl->dim = options.dim;
    impl->embedding_loss = options.embedding_loss;
    impl->embedding_weight = static_cast<float>(options.embedding_weight);
    std::vector<float> embeddings(impl->keys.size() * dim);
    uint64_t init = static_cast<uint64_t>(options.seed) ^ 0x5EED;
    for (float& x : embeddings) {
      double u = static_cast<double>(NextRandom(&init) >> 11) / static_cast<double>(1ull << 53);
      x = static_cast<float>((2 * u - 1) / dim);
    }
    std::vector<float>& output = impl->output;
    output.assign(static_cast<size_t>(dim) * stride, 0.0f);
    std::vector<float> hidden(dim), grad_hidden(dim);
    const double steps = static_cast<double>(options.embedding_epochs) * data.size();
    double step = 0;
    for (int epoch = 0; epoch < options.embedding_epochs; ++epoch) {
      if (options.on_epoch) options.on_epoch(options.epochs + epoch, passes);
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[NextRandom(&rng) % i]);
      for (size_t i : order) {
        const Encoded& d = data[i];
        const float lr = static_cast<float>(options.embedding_learning_rate * (1 - step / steps));
        step += 1;
        std::fill(hidden.begin(), hidden.end(), 0.0f);
        for (uint32_t r : d.rows) AddRow(hidden.data(), &embeddings[static_cast<size_t>(r) * dim], dim);
        for (int j = 0; j < dim; ++j) hidden[j] *= d.inv_n;
        OutputScores(output, dim, stride, hidden.data(), z.data());
        Confidences(z.data(), n_labels, options.embedding_loss);
        for (int k = 0; k < n_labels; ++k) grad[k] = z[k] - (k == d.label ? 1.0f : 0.0f);
        for (int j = 0; j < dim; ++j) {
          float* o = &output[static_cast<size_t>(j) * stride];
          grad_hidden[j] = Dot(o, grad.data(), stride);
          UpdateRow(o, grad.data(), lr * hidden[j], 1.0f, stride);
        }
        for (uint32_t r : d.rows) {
          UpdateRow(&embeddings[static_cast<size_t>(r) * dim], grad_hidden.data(), lr * d.inv_n,
                    1.0f, dim);
        }
      }
    }
    impl->table.Quantize(1, embeddings);
  }
  return IntentModel(std::move(impl));
}

absl::StatusOr<IntentModel> IntentModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open intent model ", path));
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a Parley intent model: ", Sv(why)));
  };
  std::string line;
  if (!std::getline(in, line)) return bad("missing header");
  if (line != kMagic) {
    if (line.rfind("parley-intent-model ", 0) == 0) {
      return bad(absl::StrCat("format version ", line.substr(20), " (this build reads ",
                              Sv(kMagic.substr(20)), "; retrain the model)"));
    }
    return bad("missing header");
  }
  auto impl = std::make_unique<Impl>();
  bool have_normalization = false;
  for (int n = 0;; ++n) {
    if (n > 64 || !std::getline(in, line)) return bad("unterminated header");
    if (line.empty()) break;
    size_t space = line.find(' ');
    std::string_view key = std::string_view(line).substr(0, space);
    std::string_view value =
        space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
    if (key == "normalization") {
      auto parsed = ParseTextNormalization(value);
      if (!parsed) return bad(absl::StrCat("unknown normalization \"", Sv(value), "\""));
      impl->normalization = *parsed;
      have_normalization = true;
    }
    // Other keys are informational (and let newer writers add hints).
  }
  if (!have_normalization) return bad("header names no normalization");
  std::ostringstream body;
  body << in.rdbuf();
  if (std::string why = impl->Deserialize(body.str()); !why.empty()) return bad(why);
  return IntentModel(std::move(impl));
}

absl::Status IntentModel::Save(const std::string& path) const {
  const Impl& m = *impl_;
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.is_open()) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    out << kMagic << "\n"
        << "normalization " << TextNormalizationName(m.normalization) << "\n"
        << "loss " << (m.loss == TrainOptions::Loss::kSoftmax ? "softmax" : "ova") << "\n"
        << "features words=1-" << m.features.word_ngrams << " chars=" << m.features.min_char_ngram
        << "-" << m.features.max_char_ngram << " rows=" << m.keys.size() << "\n"
        << "labels " << m.labels.size() << "\n"
        << "\n";
    out << m.Serialize();
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

const float* IntentModel::Impl::Scores(std::string_view text) const {
  thread_local std::vector<uint32_t> rows;
  thread_local std::vector<float> z;
  float scale, inv_n;
  if (!Rows(text, &rows, &scale, &inv_n)) return nullptr;
  z.resize(stride);
  Predict(rows, scale, inv_n, z.data());
  return z.data();
}

std::vector<Prediction> IntentModel::Predict(std::string_view text, int k, float threshold) const {
  std::vector<Prediction> out;
  if (k <= 0) return out;
  const Impl& m = *impl_;
  const float* z = m.Scores(text);
  if (z == nullptr) return out;
  const int n = static_cast<int>(m.labels.size());
  k = std::min(k, n);
  // The k best, highest confidence first, ties by label order.
  int best[16];
  std::vector<int> many;
  int* ids = k <= 16 ? best : (many.resize(n), many.data());
  int count = 0;
  for (int i = 0; i < n; ++i) {
    if (z[i] < threshold) continue;
    int pos = count < k ? count++ : k;
    if (pos == k && !(z[i] > z[ids[k - 1]])) continue;
    if (pos == k) pos = k - 1;
    while (pos > 0 && z[i] > z[ids[pos - 1]]) {
      ids[pos] = ids[pos - 1];
      --pos;
    }
    ids[pos] = i;
  }
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    out.push_back(Prediction{m.labels[ids[i]], std::clamp(z[ids[i]], 0.0f, 1.0f)});
  }
  return out;
}

Prediction IntentModel::Top(std::string_view text, float threshold) const {
  const Impl& m = *impl_;
  const float* z = m.Scores(text);
  if (z == nullptr) return Prediction{};
  // As Predict(text, 1): the first of the highest confidences.
  const int n = static_cast<int>(m.labels.size());
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (z[i] > z[best]) best = i;
  }
  Prediction p;
  p.confidence = std::clamp(z[best], 0.0f, 1.0f);
  if (!(p.confidence < threshold)) p.label = m.labels[best];
  return p;
}

const std::vector<std::string>& IntentModel::labels() const { return impl_->labels; }

TextNormalization IntentModel::normalization() const { return impl_->normalization; }

}  // namespace parley::analysis::intents
