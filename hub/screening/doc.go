// Package screening looks at a participant's text before a facilitator
// puts it on the big screen. It finds two things: personal data (a
// Norwegian national identity number, a Danish CPR number, a phone number,
// an e-mail address), which must be edited out or overridden, and possible
// personal disclosures of violence, abuse, threats, neglect or self-harm,
// which the facilitator should follow up rather than show. It only points;
// what to do is the facilitator's decision. All offsets are byte offsets
// into the text, always on rune boundaries.
//
// # Personal data
//
// Numbers are read as groups: runs of ASCII digits joined by one space (also
// a no-break or thin space), hyphen, dot or comma, so that "12 000", "kl
// 14.30", "01.02.2024" and "12345678,50" are each one group. A group that
// touches a letter or a sign such as '_', '@', '#', '%', '=' or a currency
// sign is part of something else and not personal data. A group matches
// only as a whole, in one of these shapes:
//
//   - national_id: 11 digits, or 6 and 5 digits split by a space; the first
//     six a valid date (a D-number adds 40 to the day), the individual number
//     consistent with the century of the year, and both mod-11 check digits
//     right. Random digits pass the check digits about once in 121 tries and
//     the date as well far less often.
//   - cpr: 6 and 4 digits split by a hyphen or a space, the first six a valid
//     date in the century the seventh digit gives. CPR numbers since 2007
//     have no check digit, so a bare run of 10 digits counts only when one of
//     the three words before it starts with "cpr" or is a word for a personal
//     number ("personnummer", "personnr", "fødselsnummer"), and has a valid
//     date.
//   - phone: 8 digits written as 12345678, 123 45 678, 12 34 56 78 or
//     1234 5678, optionally after +47, +45, 0047 or 0045. The first digit is 2
//     to 9 and not the start of a free-phone number (80), which belongs to a
//     service, not a person. Without a prefix the number is not a phone when
//     one of the three words before it names a case, order, invoice, account
//     or amount ("sak", "ordre", "kr", "beløp", ..., or a compound ending in
//     "nummer", "nr" or "budget" such as "medlemsnummer") or a word after it
//     is a currency ("kr", "kroner", "euro", ",-"), when all eight digits read
//     as a date (20240115, 15012024), or when 1234 5678 is two years; a word
//     for a phone before it ("tlf", "ring", "mobil", "phone", "sms") overrides
//     all three. After '+' and another country's code, 8 to 15 digits in
//     all, in runs split by spaces or hyphens, are a phone number too.
//
// If a group does not match as a whole, a run of 8 or 11 digits inside it
// that is split from its neighbours by spaces only is tried on its own, so
// that "i 2023 12345678" still finds the phone number.
//
// An e-mail address is a local part of letters, digits and ._%+-' before an
// '@', and a domain of at least two labels after it whose last label is at
// least two letters. A dot ending the sentence is not part of it.
//
// # Possible disclosures
//
// Training on violence and the duty to avert makes every reflection talk
// about violence: "vold", "overgrep", "omsorgssvikt" and "trusler" appear in
// almost every text. A list of such words would flag everything. The rule is
// built instead around a person: a term counts only when it stands near a
// cue that points at the writer or at someone close to the writer.
//
// The shipped lists (terms/nb.txt, terms/da.txt, terms/en.txt) have sections:
//
//   - [cues]: the writer as the one something happened to ("meg", "jeg
//     ble", "jeg har blitt", "da jeg var", "mig", "jeg blev", "me", "I was",
//     "I've been"), and the words for one's own parents ("mamma", "pappa",
//     "mor", "far" in Danish, "mum", "dad"). Plain "jeg"/"I" is not a cue:
//     "jeg tenker at barn som blir slått ..." is a reflection, not a
//     disclosure.
//   - [close] and [possessive]: a close person ("stefar", "mamma", "kjæreste",
//     "stepdad", ...) counts as a cue only with a possessive of the writer
//     right before or after it ("stefaren min", "min stefar", "my stepdad").
//     "Stefaren" alone is how a case is discussed.
//   - [violence], [sexual_abuse], [threats], [neglect], [self_harm]: terms.
//     They are acts and experiences ("slått", "voldtatt", "truet", "kutter
//     meg", "utsatt for vold"), not the names of topics: the training's own
//     vocabulary ("vold", "overgrep", "selvmord") is never a term by itself.
//   - [never]: words that cancel a term when they stand between it and
//     its cue, or among the NeverWindow words before it ("aldri",
//     "ingen", "aldrig", "never", "nobody").
//   - [idioms]: phrases that contain a term or a cue but mean something
//     else ("det slo meg", "slått av hvor", "slå alarm", "it hit me"), or
//     put the writer in their role rather than in the story ("forteller
//     meg", "tells me": "if a pupil tells me she is beaten"). A term or cue
//     inside one does not count.
//
// A term flags a text when a cue stands in the same sentence (sentences end
// at '.', '!', '?', ';', '…' and line breaks), the cue and the term do not
// overlap, at most Window words lie between them (in either order), no
// [never] word lies between them, and none stands among the NeverWindow
// words before the term ("har aldri slått meg"). A term written with a
// leading '!' is a first-person statement by itself ("ta livet mitt",
// "kutter meg", "overgrep mot meg") and flags without a cue, unless a
// [never] word stands right before it. The Match covers the term, and its
// Note is the term's section. Flagged means "look at this before it goes
// on the screen", never "this is a disclosure": the measured precision and
// recall are in docs/reliability.md.
//
// Matching is by whole words, case-insensitive with Unicode case mapping.
// Words are runs of letters, digits and combining marks; an apostrophe
// between letters belongs to the word ("I've", "dad's"); a hyphen splits
// words ("self-harm" is "self harm"). A term of several words matches
// consecutive words of one sentence. A word ending in '*' in a list is a
// stem: it matches any word that starts with it ("voldtekt*" matches
// "voldtekten"), never a word that only contains it ("forslag" does not
// start with "slag"), and a word without '*' matches only itself ("slag"
// does not match "slags"). Lines starting with '#' are comments.
//
// An organisation extends a language's lists with Terms.Extend, in the same
// syntax; its terms go to the section "other" unless a "[section]" line
// comes first, and can add cues, idioms and never-words as well.
package screening
