// Hand-written gazetteer entries: well-known organisations and brands,
// products, events, works and large cities that the Debian-derived place list
// (tzdata, iso-codes, Faker) lacks. Written for this project from general
// knowledge; lower-case, single-spaced. Keep each list alphabetical-ish and
// short: a chain of capitalised words is typed by its shape and context too,
// so these lists only need the names that neither would catch.
#include "analysis/entities/gazetteer.h"

namespace parley::analysis::entities {
namespace {

constexpr std::string_view kOrganizations[] = {
    // Technology, retail, media.
    "google", "alphabet", "microsoft", "apple", "amazon", "meta", "facebook", "instagram",
    "whatsapp", "twitter", "tiktok", "snapchat", "youtube", "netflix", "spotify", "hulu",
    "disney", "hbo", "paramount", "warner bros", "universal", "sony", "samsung", "lg", "huawei",
    "xiaomi", "nokia", "motorola", "intel", "amd", "nvidia", "ibm", "oracle", "cisco", "dell",
    "hp", "lenovo", "asus", "acer", "adobe", "salesforce", "sap", "uber", "lyft", "airbnb",
    "booking.com", "expedia", "tripadvisor", "paypal", "venmo", "stripe", "square", "revolut",
    "monzo", "wise", "klarna", "ebay", "etsy", "alibaba", "aliexpress", "walmart", "target",
    "costco", "ikea", "tesco", "sainsbury's", "sainsburys", "asda", "aldi", "lidl", "waitrose",
    "morrisons", "marks and spencer", "m&s", "boots", "argos", "currys", "john lewis",
    "best buy", "home depot", "lowe's", "kroger", "walgreens", "cvs", "starbucks",
    "mcdonald's", "mcdonalds", "burger king", "kfc", "subway", "domino's", "pizza hut",
    "chipotle", "taco bell", "wendy's", "dunkin", "costa", "pret", "nando's", "deliveroo",
    "just eat", "doordash", "grubhub", "instacart", "zara", "h&m", "nike", "adidas", "puma",
    "primark", "gap", "uniqlo", "shein", "asos", "godaddy", "dropbox", "slack", "zoom", "skype",
    "linkedin", "reddit", "pinterest", "tumblr", "twitch", "discord", "telegram", "yahoo",
    "bing", "openai", "tesla", "spacex", "ford", "toyota", "honda", "bmw", "mercedes",
    "volkswagen", "audi", "nissan", "hyundai", "kia", "volvo", "fiat", "ferrari", "porsche",
    "boeing", "airbus", "fedex", "ups", "usps", "dhl", "royal mail", "hermes", "evri",
    // Finance.
    "visa", "mastercard", "american express", "amex", "discover", "barclays", "hsbc", "lloyds",
    "natwest", "santander", "halifax", "nationwide", "rbs", "chase", "jpmorgan",
    "jp morgan", "citi", "citibank", "wells fargo", "bank of america", "goldman sachs",
    "morgan stanley", "capital one", "td bank", "bnp paribas", "deutsche bank", "ing", "ubs",
    "credit suisse", "western union", "moneygram", "coinbase", "binance", "robinhood",
    // Telecom, utilities, travel.
    "at&t", "verizon", "t-mobile", "sprint", "comcast", "xfinity", "vodafone", "o2", "ee",
    "bt", "sky", "virgin media", "three", "orange", "british gas", "edf", "eon",
    "american airlines", "united airlines", "delta", "southwest", "british airways",
    "ryanair", "easyjet", "lufthansa", "air france", "klm", "emirates", "qatar airways",
    "hilton", "marriott", "hyatt", "airbnb", "amtrak",
    // Institutions, sports, media.
    "fbi", "cia", "nasa", "nhs", "irs", "hmrc", "un", "united nations", "nato", "who", "eu",
    "european union", "dvla", "dmv", "bbc", "cnn", "fox news", "nbc", "cbs", "abc", "espn",
    "nfl", "nba", "mlb", "nhl", "fifa", "uefa", "premier league", "harvard", "stanford", "mit",
    "oxford", "cambridge", "yale", "congress", "senate", "white house", "pentagon",
    "red cross", "unicef", "greenpeace", "democrats", "republicans", "gop", "labour",
    "conservatives", "tories", "manchester united", "real madrid", "barcelona", "chelsea",
    "arsenal", "liverpool fc", "lakers", "yankees", "patriots", "cowboys", "warriors",
    "the beatles", "beatles", "rolling stones", "coldplay", "bts", "one direction",
    "metallica", "nirvana", "queen",
};

constexpr std::string_view kProducts[] = {
    "iphone", "ipad", "ipod", "imac", "macbook", "macbook pro", "macbook air", "airpods",
    "apple watch", "apple tv", "apple pay", "google pay", "android", "pixel", "chromebook",
    "galaxy", "samsung galaxy", "kindle", "echo", "alexa", "fire tv", "playstation", "ps4",
    "ps5", "xbox", "xbox one", "nintendo switch", "switch", "wii", "gameboy", "windows",
    "windows 10", "windows 11", "office", "excel", "word", "powerpoint", "outlook", "teams",
    "photoshop", "chrome", "firefox", "safari", "gmail", "google maps", "siri", "cortana",
    "chatgpt", "surface", "thinkpad", "roku", "fitbit", "gopro", "tesla model 3", "model s",
    "model 3", "model y", "prius", "civic", "corolla", "mustang", "f-150", "jeep", "coke",
    "coca-cola", "coca cola", "pepsi", "sprite", "red bull", "nutella", "lego", "barbie",
    "oreo", "doritos", "big mac", "whopper", "frappuccino", "prime", "amazon prime",
    "prime video", "netflix premium", "spotify premium", "youtube premium", "disney+",
    "office 365", "microsoft 365", "minecraft", "fortnite", "tetris", "pokemon go",
    "monopoly", "visa debit", "visa card", "mastercard debit", "amex card", "oyster card",
};

constexpr std::string_view kEvents[] = {
    "christmas", "christmas eve", "christmas day", "easter", "thanksgiving", "halloween",
    "new year", "new year's", "new year's eve", "new years eve", "valentine's day",
    "valentines day", "black friday", "cyber monday", "boxing day", "prime day",
    "independence day", "memorial day", "labor day", "labour day", "mother's day",
    "father's day", "st patrick's day", "ramadan", "eid", "diwali", "hanukkah", "passover",
    "lunar new year", "chinese new year", "super bowl", "world cup", "olympics",
    "olympic games", "world series", "wimbledon", "euro 2024", "tour de france", "oscars",
    "the oscars", "grammys", "emmys", "golden globes", "coachella", "glastonbury", "sxsw",
    "comic con", "comic-con", "e3", "ces", "wwdc", "world war ii", "world war 2", "ww2",
    "world war i", "brexit", "march madness", "mardi gras", "oktoberfest", "pride",
    "election day", "the election", "champions league final", "grand prix",
};

constexpr std::string_view kWorks[] = {
    "game of thrones", "breaking bad", "stranger things", "the office", "friends",
    "the simpsons", "rick and morty", "star wars", "star trek", "harry potter",
    "lord of the rings", "the lord of the rings", "the hobbit", "the walking dead",
    "grey's anatomy", "the bible", "bible", "quran", "mona lisa", "the godfather", "titanic",
    "avatar", "frozen", "toy story", "the avengers", "avengers", "black panther",
    "spider-man", "spiderman", "batman", "superman", "the crown", "squid game",
    "the mandalorian", "doctor who", "sherlock", "downton abbey", "house of cards",
    "the wire", "the sopranos", "mad men", "black mirror", "westworld", "the bachelor",
    "american idol", "the voice", "saturday night live", "snl", "the x factor",
    "despacito", "bohemian rhapsody", "thriller", "hamlet", "macbeth", "romeo and juliet",
    "pride and prejudice", "1984", "the great gatsby",
};

// Large cities missing from tzdata's zone names (which has one city per zone).
constexpr std::string_view kCities[] = {
    "san francisco", "san diego", "san jose", "seattle", "boston", "miami", "atlanta",
    "dallas", "houston", "austin", "las vegas", "philadelphia", "washington dc",
    "washington d.c.", "baltimore", "orlando", "tampa", "nashville", "portland",
    "minneapolis", "st. louis", "st louis", "kansas city", "new orleans", "salt lake city",
    "san antonio", "sacramento", "oakland", "pittsburgh", "cleveland", "cincinnati",
    "columbus", "charlotte", "raleigh", "brooklyn", "manhattan", "queens", "the bronx",
    "hollywood", "compton", "long beach", "oklahoma city", "memphis", "milwaukee",
    "albuquerque", "tucson", "el paso", "fort worth", "jacksonville", "buffalo", "newark",
    "jersey city", "manchester", "birmingham", "liverpool", "leeds", "glasgow", "edinburgh",
    "bristol", "cardiff", "belfast", "sheffield", "newcastle", "nottingham", "leicester",
    "oxford", "cambridge", "brighton", "southampton", "aberdeen", "york", "bath", "milan",
    "naples", "florence", "venice", "munich", "frankfurt", "hamburg", "cologne", "barcelona",
    "seville", "valencia", "marseille", "lyon", "nice", "geneva", "toronto", "montreal",
    "vancouver", "ottawa", "calgary", "sydney", "melbourne", "brisbane", "perth", "auckland",
    "mumbai", "delhi", "new delhi", "bangalore", "bengaluru", "chennai", "hyderabad",
    "beijing", "hong kong", "osaka", "kyoto", "seoul", "bangkok", "manila", "jakarta",
    "dubai", "abu dhabi", "doha", "riyadh", "tel aviv", "jerusalem", "cape town",
    "johannesburg", "nairobi", "lagos", "cairo", "rio de janeiro", "rio", "são paulo",
    "sao paulo", "buenos aires", "mexico city", "bogota", "lima", "santiago", "havana",
    "silicon valley", "wall street", "times square", "central park", "disneyland",
    "disney world", "heathrow", "jfk", "lax", "gatwick",
};

}  // namespace

const KnownEntityLists& KnownEntities() {
  static const KnownEntityLists lists = {
      kOrganizations, std::size(kOrganizations), kProducts, std::size(kProducts),
      kEvents,        std::size(kEvents),        kWorks,    std::size(kWorks),
      kCities,        std::size(kCities)};
  return lists;
}

}  // namespace parley::analysis::entities
