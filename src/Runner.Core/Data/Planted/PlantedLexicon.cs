namespace Runner.Core.Data.Planted;

/// <summary>
/// The planted-topics corpus's data: twelve topic lexicons (nouns, verbs, adjectives), the generic
/// lexicon, prepositions, names, function words and the sentence templates. Copied from the Python
/// proof of concept (shared/reference/planted-topics-poc/corpus.py) so the vocabulary and its ids are
/// the same as there. A multi-word entry ("golden gate bridge") is one noun made of several tokens.
/// </summary>
internal static class PlantedLexicon
{
    /// <summary>One topic's (or the generic) content words by class: nouns, verbs, adjectives.</summary>
    internal sealed record Lexicon(string Name, string[] N, string[] V, string[] A)
    {
        /// <summary>The entries of slot class 'N', 'V' or 'A'.</summary>
        public string[] Of(char slot) => slot switch
        {
            'N' => N,
            'V' => V,
            'A' => A,
            _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, "expected N, V or A"),
        };
    }

    /// <summary>The topics in their fixed order: topic id = index.</summary>
    public static readonly Lexicon[] Topics =
    [
        new("bridge",
            N: [
                "bridge", "span", "cable", "tower", "deck", "toll", "fog", "bay", "strait", "pier", "girder", "rivet",
                "arch", "crossing", "suspension", "roadway", "anchorage", "truss", "viaduct", "causeway", "ferry",
                "commuter", "motorist", "gate", "golden gate bridge", "san francisco"
            ],
            V: [
                "crossed", "spanned", "painted", "suspended", "tolled", "connected", "welded", "repaired"
            ],
            A: [
                "golden", "orange", "rusty", "towering", "foggy", "majestic", "iconic", "steel"
            ]),
        new("ocean",
            N: [
                "ocean", "wave", "tide", "reef", "whale", "dolphin", "coral", "shark", "shore", "beach", "sailor",
                "ship", "harbor", "current", "seaweed", "lagoon", "island", "starfish", "seagull", "anchor", "surf",
                "sea", "octopus", "lighthouse"
            ],
            V: [
                "sailed", "swam", "drifted", "surfed", "dove", "fished", "washed", "splashed"
            ],
            A: [
                "salty", "deep", "blue", "tidal", "marine", "coastal", "sandy", "wet"
            ]),
        new("code",
            N: [
                "code", "function", "compiler", "bug", "variable", "loop", "server", "database", "program", "script",
                "kernel", "pointer", "array", "string", "module", "library", "debugger", "terminal", "commit",
                "repository", "laptop", "algorithm", "thread", "cache"
            ],
            V: [
                "compiled", "debugged", "refactored", "deployed", "coded", "parsed", "executed", "optimized"
            ],
            A: [
                "recursive", "binary", "digital", "buggy", "async", "static", "virtual", "modular"
            ]),
        new("cooking",
            N: [
                "soup", "oven", "recipe", "kitchen", "chef", "garlic", "onion", "butter", "flour", "pan", "sauce",
                "bread", "pasta", "spice", "knife", "stove", "dough", "salad", "cheese", "pepper", "broth", "dessert",
                "cake", "noodle"
            ],
            V: [
                "baked", "chopped", "stirred", "fried", "roasted", "seasoned", "boiled", "tasted"
            ],
            A: [
                "delicious", "spicy", "crispy", "savory", "sweet", "tender", "juicy", "creamy"
            ]),
        new("space",
            N: [
                "planet", "rocket", "star", "galaxy", "astronaut", "orbit", "moon", "comet", "telescope", "asteroid",
                "nebula", "satellite", "spaceship", "mars", "jupiter", "meteor", "universe", "launch", "crater",
                "gravity", "cosmos", "capsule", "probe", "eclipse"
            ],
            V: [
                "launched", "orbited", "landed", "explored", "observed", "docked", "blasted", "floated"
            ],
            A: [
                "cosmic", "lunar", "solar", "stellar", "interstellar", "orbital", "galactic", "distant"
            ]),
        new("music",
            N: [
                "guitar", "song", "piano", "drum", "melody", "band", "concert", "violin", "singer", "chorus",
                "rhythm", "album", "orchestra", "note", "lyric", "chord", "stage", "tune", "trumpet", "microphone",
                "jazz", "symphony", "composer", "bass"
            ],
            V: [
                "played", "sang", "strummed", "composed", "recorded", "tuned", "performed", "hummed"
            ],
            A: [
                "musical", "acoustic", "loud", "melodic", "harmonic", "rhythmic", "catchy", "classical"
            ]),
        new("sports",
            N: [
                "ball", "goal", "team", "coach", "stadium", "player", "match", "referee", "score", "league", "trophy",
                "soccer", "tennis", "basketball", "racket", "field", "season", "championship", "fan", "jersey",
                "pitch", "tournament", "athlete", "whistle"
            ],
            V: [
                "kicked", "scored", "won", "tackled", "threw", "defended", "trained", "cheered"
            ],
            A: [
                "athletic", "competitive", "winning", "sporty", "olympic", "undefeated", "professional", "offside"
            ]),
        new("garden",
            N: [
                "flower", "tree", "seed", "soil", "rose", "tulip", "leaf", "root", "shovel", "hose", "weed", "garden",
                "bush", "vine", "petal", "blossom", "fence", "compost", "greenhouse", "sprout", "hedge", "lawn",
                "moss", "fern"
            ],
            V: [
                "planted", "watered", "pruned", "dug", "grew", "bloomed", "weeded", "harvested"
            ],
            A: [
                "green", "leafy", "blooming", "floral", "fertile", "lush", "wild", "mossy"
            ]),
        new("medicine",
            N: [
                "doctor", "nurse", "patient", "hospital", "pill", "vaccine", "surgery", "fever", "clinic", "virus",
                "bandage", "injury", "medicine", "syringe", "diagnosis", "ambulance", "heart", "blood", "bone",
                "therapy", "symptom", "infection", "prescription", "surgeon"
            ],
            V: [
                "treated", "diagnosed", "healed", "vaccinated", "examined", "prescribed", "operated", "cured"
            ],
            A: [
                "sick", "medical", "healthy", "clinical", "chronic", "painful", "surgical", "sterile"
            ]),
        new("finance",
            N: [
                "bank", "money", "stock", "market", "loan", "investor", "profit", "tax", "budget", "coin", "dollar",
                "price", "fund", "credit", "debt", "share", "bond", "trader", "wallet", "economy", "interest",
                "salary", "account", "bonus"
            ],
            V: [
                "invested", "borrowed", "traded", "saved", "paid", "sold", "bought", "lent"
            ],
            A: [
                "rich", "financial", "expensive", "cheap", "wealthy", "bankrupt", "fiscal", "profitable"
            ]),
        new("weather",
            N: [
                "rain", "storm", "cloud", "snow", "wind", "thunder", "lightning", "sunshine", "forecast", "hail",
                "tornado", "hurricane", "drizzle", "frost", "breeze", "umbrella", "temperature", "rainbow",
                "blizzard", "flood", "mist", "humidity", "puddle", "climate"
            ],
            V: [
                "rained", "poured", "blew", "froze", "thundered", "melted", "cleared", "predicted"
            ],
            A: [
                "stormy", "cloudy", "rainy", "sunny", "windy", "cold", "humid", "chilly"
            ]),
        new("castle",
            N: [
                "knight", "castle", "king", "queen", "sword", "dragon", "throne", "moat", "armor", "shield",
                "kingdom", "princess", "horse", "banner", "dungeon", "wizard", "crown", "battle", "village",
                "peasant", "feast", "lance", "archer", "spear"
            ],
            V: [
                "ruled", "conquered", "guarded", "crowned", "fought", "besieged", "knighted", "rode"
            ],
            A: [
                "royal", "medieval", "brave", "ancient", "noble", "enchanted", "loyal", "mighty"
            ])
    ];

    /// <summary>Content words that belong to no topic.</summary>
    public static readonly Lexicon Generic = new("generic",
        N: [
        "thing", "people", "day", "time", "place", "man", "woman", "child", "friend", "group", "city", "year", "week",
        "morning", "night", "house", "room", "story", "idea", "book", "car", "road", "family", "teacher", "student",
        "town", "world", "part", "way", "picture"
    ],
        V: [
        "saw", "found", "liked", "made", "took", "had", "wanted", "used", "needed", "showed", "described",
        "remembered", "watched", "visited", "loved", "mentioned"
    ],
        A: [
        "big", "small", "new", "old", "good", "bad", "long", "great", "little", "strange", "beautiful", "simple",
        "famous", "quiet", "busy", "early"
    ]);

    /// <summary>Fillers of the {P} slot.</summary>
    public static readonly string[] Prepositions = [
        "in", "on", "at", "with", "for", "from", "by", "near", "over", "under", "about", "behind"
    ];

    /// <summary>Fillers of the {NAME} slot.</summary>
    public static readonly string[] Names = [
        "maria", "john", "alice", "bob", "chen", "priya", "omar", "lucy", "tom", "sara", "ken", "nina", "diego",
        "emma", "li", "yuki"
    ];

    /// <summary>Literal words of the templates, plus the document separator (vocabulary order starts with these).</summary>
    public static readonly string[] Function = [
        "the", "a", "and", "said", "there", "were", "did", "we", "it", "was", "day", "for", "after", ",", "very", ".",
        "?", "!", "\"", "<doc>", "of"
    ];

    /// <summary>Numbers 1–99 fill {NUM}; years 1900–2030 fill {YEAR}.</summary>
    public const int MinNumber = 1, MaxNumber = 99, MinYear = 1900, MaxYear = 2030;

    /// <summary>The document separator (also the BOS token).</summary>
    public const string Doc = "<doc>";

    /// <summary>
    /// Sentence templates: literal words, and slots {N} noun, {V} verb, {A} adjective, {P} preposition,
    /// {NAME}, {NUM} (1–99), {YEAR} (1900–2030).
    /// </summary>
    public static readonly string[] Templates =
    [
        "the {A} {N} {V} the {N} .",
        "a {N} {V} {P} the {A} {N} .",
        "{NAME} {V} the {N} in {YEAR} .",
        "the {N} and the {N} {V} {P} the {N} .",
        "{NAME} said \" the {N} {V} the {A} {N} . \"",
        "there were {NUM} {N} {P} the {N} .",
        "did the {N} {V} the {N} ?",
        "we {V} {NUM} {A} {N} and {NUM} {N} .",
        "it was a {A} day for the {N} .",
        "{NAME} and {NAME} {V} the {N} with a {N} .",
        "after the {N} , the {N} was very {A} .",
        "\" the {A} {N} ! \" said {NAME} .",
    ];
}
