#include "analysis/intents/intent_model.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/intents/synthetic_examples.h"

namespace parley::analysis::intents {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class IntentModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto model = IntentModel::Train(testing::SyntheticExamples(), TrainOptions{});
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = new IntentModel(std::move(*model));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

  static IntentModel* model_;
};
IntentModel* IntentModelTest::model_ = nullptr;

TEST_F(IntentModelTest, PredictsHeldOutParaphrases) {
  EXPECT_THAT(model_->labels(), UnorderedElementsAre("check_balance", "block_card", "opening_hours"));
  for (const Example& e : testing::HeldOutParaphrases()) {
    Prediction p = model_->Top(e.text);
    EXPECT_EQ(p.label, e.label) << e.text;
    EXPECT_GT(p.confidence, 0.5f) << e.text;
    EXPECT_LE(p.confidence, 1.0f) << e.text;
  }
}

TEST_F(IntentModelTest, PredictReturnsTopKInOrder) {
  std::vector<Prediction> all = model_->Predict("please block my stolen card", 10);
  ASSERT_EQ(all.size(), 3u);  // k is capped at the number of intents
  EXPECT_EQ(all[0].label, "block_card");
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_GE(all[i].confidence, 0.0f);
    EXPECT_LE(all[i].confidence, 1.0f);
    if (i > 0) {
      EXPECT_GE(all[i - 1].confidence, all[i].confidence);
    }
  }
  EXPECT_EQ(model_->Predict("please block my stolen card", 1).size(), 1u);
  EXPECT_TRUE(model_->Predict("please block my stolen card", 0).empty());
}

TEST_F(IntentModelTest, ThresholdRejectsLowConfidence) {
  Prediction in_scope = model_->Top("what is my balance");
  ASSERT_EQ(in_scope.label, "check_balance");
  Prediction out_of_scope = model_->Top("recommend a good pizza recipe");
  EXPECT_LT(out_of_scope.confidence, in_scope.confidence);

  // A threshold between the two keeps the first and rejects the second.
  float threshold = (in_scope.confidence + out_of_scope.confidence) / 2;
  EXPECT_EQ(model_->Top("what is my balance", threshold).label, "check_balance");
  Prediction rejected = model_->Top("recommend a good pizza recipe", threshold);
  EXPECT_EQ(rejected.label, "");
  EXPECT_FLOAT_EQ(rejected.confidence, out_of_scope.confidence);  // still reported

  // Predict leaves out every intent below the threshold.
  EXPECT_TRUE(model_->Predict("recommend a good pizza recipe", 3, threshold).empty());
  std::vector<Prediction> kept = model_->Predict("what is my balance", 3, threshold);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].label, "check_balance");
}

TEST_F(IntentModelTest, TextWithoutWordsHasNoIntent) {
  EXPECT_TRUE(model_->Predict("", 3).empty());
  EXPECT_TRUE(model_->Predict(" \t ", 3).empty());
  Prediction p = model_->Top("");
  EXPECT_EQ(p.label, "");
  EXPECT_EQ(p.confidence, 0.0f);
}

TEST_F(IntentModelTest, TrainingIsDeterministic) {
  auto again = IntentModel::Train(testing::SyntheticExamples(), TrainOptions{});
  ASSERT_TRUE(again.ok()) << again.status();
  for (const Example& e : testing::HeldOutParaphrases()) {
    std::vector<Prediction> a = model_->Predict(e.text, 3), b = again->Predict(e.text, 3);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].label, b[i].label);
      EXPECT_EQ(a[i].confidence, b[i].confidence) << e.text;  // bit-identical
    }
  }
}

TEST_F(IntentModelTest, SaveLoadRoundTripPredictsIdentically) {
  std::string path = TempPath("round_trip.model");
  ASSERT_TRUE(model_->Save(path).ok());
  auto loaded = IntentModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->labels(), model_->labels());
  EXPECT_EQ(loaded->normalization(), TextNormalization::kDefault);
  std::vector<Example> texts = testing::HeldOutParaphrases();
  texts.push_back({"recommend a good pizza recipe", ""});
  for (const Example& e : texts) {
    std::vector<Prediction> a = model_->Predict(e.text, 3), b = loaded->Predict(e.text, 3);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].label, b[i].label);
      EXPECT_EQ(a[i].confidence, b[i].confidence) << e.text;
    }
  }
  std::remove(path.c_str());
}

TEST_F(IntentModelTest, NormalizationIsSavedWithTheModel) {
  TrainOptions options;
  options.normalization = TextNormalization::kNone;
  options.epochs = 5;
  auto model = IntentModel::Train(testing::SyntheticExamples(), options);
  ASSERT_TRUE(model.ok()) << model.status();
  std::string path = TempPath("none.model");
  ASSERT_TRUE(model->Save(path).ok());
  auto loaded = IntentModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->normalization(), TextNormalization::kNone);
  std::remove(path.c_str());
}

TEST_F(IntentModelTest, LoadRejectsWhatIsNotAModel) {
  EXPECT_EQ(IntentModel::Load(TempPath("no_such.model")).status().code(), absl::StatusCode::kNotFound);

  std::string garbage = TempPath("garbage.model");
  std::ofstream(garbage) << "text,label\nhello,greeting\n";
  auto loaded = IntentModel::Load(garbage);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("not a Parley intent model"));

  // A good model cut in half.
  std::string truncated = TempPath("truncated.model");
  ASSERT_TRUE(model_->Save(truncated).ok());
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
  loaded = IntentModel::Load(truncated);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("not a Parley intent model"));
  std::remove(garbage.c_str());
  std::remove(truncated.c_str());
}

TEST_F(IntentModelTest, LoadRejectsACorruptedModel) {
  std::string path = TempPath("corrupt.model");
  ASSERT_TRUE(model_->Save(path).ok());
  {
    // Flip one byte in the middle of the binary body (past the text header).
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  auto loaded = IntentModel::Load(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("checksum mismatch"));
  std::remove(path.c_str());
}

TEST_F(IntentModelTest, LoadNamesAnotherFormatVersion) {
  // Version 1 was a fastText model behind a text header.
  std::string path = TempPath("v1.model");
  std::ofstream(path) << "parley-intent-model 1\nnormalization default\n\n\xba\x16\x4f\x2f";
  auto loaded = IntentModel::Load(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("format version 1"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("retrain"));
  std::remove(path.c_str());

  // Version 2 had a scale per row and another feature hashing.
  path = TempPath("v2.model");
  std::ofstream(path) << "parley-intent-model 2\nnormalization default\n\n\xba\x16\x4f\x2f";
  loaded = IntentModel::Load(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("format version 2 (this build reads 3; retrain the model)"));
  std::remove(path.c_str());
}

TEST_F(IntentModelTest, SaveToAnUnwritablePlaceFails) {
  EXPECT_FALSE(model_->Save(TempPath("no_such_dir/x.model")).ok());
}

TEST_F(IntentModelTest, ConcurrentPredictionsMatchSequentialOnes) {
  std::vector<Example> texts = testing::HeldOutParaphrases();
  std::vector<std::vector<Prediction>> expected;
  for (const Example& e : texts) expected.push_back(model_->Predict(e.text, 3));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          std::vector<Prediction> got = model_->Predict(texts[i].text, 3);
          bool same = got.size() == expected[i].size();
          for (size_t j = 0; same && j < got.size(); ++j) {
            same = got[j].label == expected[i][j].label && got[j].confidence == expected[i][j].confidence;
          }
          mismatches[t] += !same;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

TEST(IntentModelTrainTest, RejectsBadExamplesAndOptions) {
  auto code = [](const std::vector<Example>& examples, const TrainOptions& options) {
    return IntentModel::Train(examples, options).status();
  };
  EXPECT_EQ(code({}, {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(code({{"hello", "greeting"}, {"hi", "greeting"}}, {}).message(),
              HasSubstr("at least two labels"));
  EXPECT_THAT(code({{"hello", "greeting"}, {"bye", "fare well"}}, {}).message(),
              HasSubstr("example 1: label \"fare well\""));
  EXPECT_THAT(code({{"hello", "greeting"}, {" ", "farewell"}}, {}).message(),
              HasSubstr("example 1: text has no words"));
  std::vector<Example> ok = {{"hello", "greeting"}, {"bye", "farewell"}};
  TrainOptions bad;
  bad.epochs = 0;
  EXPECT_EQ(code(ok, bad).code(), absl::StatusCode::kInvalidArgument);
  bad = TrainOptions{};
  bad.dim = 12;  // not a multiple of 8
  EXPECT_THAT(code(ok, bad).message(), HasSubstr("dim"));
  bad = TrainOptions{};
  bad.embedding_weight = 1.5;
  EXPECT_THAT(code(ok, bad).message(), HasSubstr("embedding weight"));
  bad = TrainOptions{};
  bad.min_char_ngram = 4;
  bad.max_char_ngram = 3;
  EXPECT_EQ(code(ok, bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST(IntentModelTrainTest, LinearSoftmaxConfidencesSumToOne) {
  TrainOptions options;
  options.loss = TrainOptions::Loss::kSoftmax;
  options.dim = 0;  // the linear model alone
  auto model = IntentModel::Train(testing::SyntheticExamples(), options);
  ASSERT_TRUE(model.ok()) << model.status();
  for (const Example& e : testing::HeldOutParaphrases()) {
    EXPECT_EQ(model->Top(e.text).label, e.label) << e.text;
    float sum = 0;
    for (const Prediction& p : model->Predict(e.text, 3)) sum += p.confidence;
    EXPECT_NEAR(sum, 1.0f, 0.01f) << e.text;
  }
}

TEST(IntentModelTrainTest, EachComponentLearnsAlone) {
  for (auto [dim, weight, loss] :
       {std::tuple{0, 0.0, TrainOptions::Loss::kOneVsAll}, std::tuple{48, 1.0, TrainOptions::Loss::kOneVsAll},
        std::tuple{16, 1.0, TrainOptions::Loss::kSoftmax}}) {
    TrainOptions options;
    options.dim = dim;
    options.embedding_weight = weight;
    options.loss = loss;
    options.embedding_loss = loss;
    auto model = IntentModel::Train(testing::SyntheticExamples(), options);
    ASSERT_TRUE(model.ok()) << model.status();
    for (const Example& e : testing::HeldOutParaphrases()) {
      EXPECT_EQ(model->Top(e.text).label, e.label) << e.text << " (dim " << dim << ")";
    }
  }
}

TEST(IntentModelTrainTest, DifferentSeedsGiveDifferentButEquallyGoodModels) {
  TrainOptions options;
  options.seed = 7;
  auto a = IntentModel::Train(testing::SyntheticExamples(), TrainOptions{});
  auto b = IntentModel::Train(testing::SyntheticExamples(), options);
  ASSERT_TRUE(a.ok() && b.ok());
  bool any_difference = false;
  for (const Example& e : testing::HeldOutParaphrases()) {
    EXPECT_EQ(b->Top(e.text).label, e.label) << e.text;
    any_difference |= a->Top(e.text).confidence != b->Top(e.text).confidence;
  }
  EXPECT_TRUE(any_difference);
}

}  // namespace
}  // namespace parley::analysis::intents
