#include "analysis/intents/small_talk.h"

#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

TEST(SmallTalk, GreetingsThanksGoodbyesAndAcknowledgements) {
  for (const char* text : {"hello", "Hi there!", "hey", "great that's a relief thank you so much",
                           "Thanks!", "thank you for your help", "ok bye", "Okay, thanks.",
                           "good morning", "how are you doing today", "that\xE2\x80\x99s great",
                           "yes", "no thanks", "have a nice day", "take care, bye-bye"}) {
    EXPECT_TRUE(IsSmallTalk(text)) << text;
  }
}

TEST(SmallTalk, AnythingWithARequestIsNot) {
  for (const char* text : {"", "   ", "...", "I lost my card", "thanks, I want to cancel my card",
                           "hello my card was charged twice", "great, another hour on hold",
                           "is my refund done", "ok 1234", "how do I reset my password",
                           "thank you, where is my order", "I need help", "caf\xC3\xA9 thanks"}) {
    EXPECT_FALSE(IsSmallTalk(text)) << text;
  }
}

}  // namespace
}  // namespace parley::analysis::intents
