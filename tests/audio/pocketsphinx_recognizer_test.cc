// The embedded recogniser's memory in huge pages (HugePageScope): this binary
// links jemalloc as the server does, so the arena exists; what a scope
// allocates is in MADV_HUGEPAGE mappings, what is outside is not, and a
// recogniser with its decoders there gives exactly the words, times and
// confidences of one without.
#include <jemalloc/jemalloc.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "audio/audio_decoder.h"
#include "audio/pocketsphinx/huge_page_arena.h"
#include "audio/pocketsphinx/pocketsphinx_recognizer.h"
#include "audio/read_file.h"
#include "gtest/gtest.h"

namespace parley::audio {
namespace {

using parley::testing::ReadFile;

struct Mapping {
  uintptr_t begin = 0, end = 0;
  int64_t rss_kb = 0;
  bool huge_advised = false;  // "hg" in VmFlags: madvise(MADV_HUGEPAGE)
};

std::vector<Mapping> Mappings() {
  std::vector<Mapping> out;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  while (std::getline(smaps, line)) {
    unsigned long b = 0, e = 0;
    if (line.find('-') != std::string::npos && std::sscanf(line.c_str(), "%lx-%lx ", &b, &e) == 2 &&
        line.find(':') > line.find(' ')) {
      out.push_back({b, e});
    } else if (!out.empty() && line.rfind("Rss:", 0) == 0) {
      out.back().rss_kb = std::atoll(line.c_str() + 4);
    } else if (!out.empty() && line.rfind("VmFlags:", 0) == 0) {
      out.back().huge_advised = (line + " ").find(" hg ") != std::string::npos;
    }
  }
  return out;
}

int64_t HugeAdvisedRssKb() {
  int64_t kb = 0;
  for (const Mapping& m : Mappings()) kb += m.huge_advised ? m.rss_kb : 0;
  return kb;
}

bool InHugeAdvisedMapping(const void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  for (const Mapping& m : Mappings()) {
    if (a >= m.begin && a < m.end) return m.huge_advised;
  }
  return false;
}

unsigned ThreadArena() {
  unsigned arena = 0;
  size_t size = sizeof arena;
  EXPECT_EQ(mallctl("thread.arena", &arena, &size, nullptr, 0), 0);
  return arena;
}

TEST(HugePageScopeTest, AllocationsInAScopeAreHugeAdvisedAndOnlyThose) {
  ASSERT_TRUE(HugePageScope::Available());
  unsigned before = ThreadArena();
  constexpr size_t kSize = 4 << 20;
  void* outside = std::malloc(kSize);
  void* inside = nullptr;
  void* nested = nullptr;
  {
    HugePageScope scope;
    EXPECT_NE(ThreadArena(), before);
    inside = std::malloc(kSize);
    {
      HugePageScope again;  // Recognize's scope around Borrow's
      nested = std::malloc(kSize);
    }
    EXPECT_NE(ThreadArena(), before);
  }
  EXPECT_EQ(ThreadArena(), before);
  void* after = std::malloc(kSize);
  EXPECT_TRUE(InHugeAdvisedMapping(inside));
  EXPECT_TRUE(InHugeAdvisedMapping(nested));
  EXPECT_FALSE(InHugeAdvisedMapping(outside));
  EXPECT_FALSE(InHugeAdvisedMapping(after));
  // Memory from the arena is freed like any other, on any thread.
  std::free(inside);
  std::free(nested);
  std::free(outside);
  std::free(after);
}

std::vector<std::tuple<std::string, int64_t, int64_t, float>> Words(const PocketsphinxRecognizer& r,
                                                                   const std::vector<int16_t>& pcm) {
  auto words = r.Recognize(pcm);
  EXPECT_TRUE(words.ok()) << words.status();
  std::vector<std::tuple<std::string, int64_t, int64_t, float>> out;
  if (words.ok()) {
    for (const RecognizedWord& w : *words) out.emplace_back(w.text, w.start_us, w.end_us, w.confidence);
  }
  return out;
}

TEST(PocketsphinxRecognizerTest, HugePagesHoldTheModelAndChangeNoWord) {
  ASSERT_TRUE(HugePageScope::Available());
  auto audio = DecodeAudio(
      ReadFile("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"), {},
      true);
  ASSERT_TRUE(audio.ok()) << audio.status();
  const std::vector<int16_t>& pcm = audio->channels[0];
  for (const char* mode : {"fast", "accurate"}) {
    SCOPED_TRACE(mode);
    PocketsphinxOptions options;
    options.mode = mode;
    options.huge_pages = false;
    int64_t start_kb = HugeAdvisedRssKb();
    auto small = PocketsphinxRecognizer::Create(options);
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_LT(HugeAdvisedRssKb() - start_kb, 4 << 10) << "a decoder without huge pages went to the arena";
    options.huge_pages = true;
    int64_t before_kb = HugeAdvisedRssKb();
    auto huge = PocketsphinxRecognizer::Create(options);
    ASSERT_TRUE(huge.ok()) << huge.status();
    EXPECT_GT(HugeAdvisedRssKb() - before_kb, 16 << 10) << "the model is not in huge-page memory";

    auto expected = Words(**small, pcm);
    ASSERT_GT(expected.size(), 5u);
    EXPECT_EQ(Words(**huge, pcm), expected);
    EXPECT_EQ(Words(**huge, pcm), expected);  // a pooled decoder, its search memory reused
  }
}

}  // namespace
}  // namespace parley::audio
