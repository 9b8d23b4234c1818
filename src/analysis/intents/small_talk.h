// Small talk: greetings, thanks, goodbyes and acknowledgements ("hello",
// "great that's a relief thank you so much", "ok bye") name no intent, whatever
// an intent model trained on the tenant's intents would say about them.
#pragma once

#include <string_view>

namespace parley::analysis::intents {

// True when every word of `text` is a social word (hi, thanks, bye, ok, great,
// relief, …) or a word that carries no request on its own (I, you, so, much,
// that's, …), and at least one is a social word or a "how are you" / "what's
// up" word. Case and punctuation are ignored; digits or any other word make
// it false ("thanks, I want to cancel my card" is not small talk). The word
// lists were written by hand; docs/quality/intents.md measures them on
// CLINC150's greeting, goodbye and thank_you intents and on everything else.
bool IsSmallTalk(std::string_view text);

}  // namespace parley::analysis::intents
