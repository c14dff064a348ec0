package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// lang is one report language: its words and how it writes numbers,
// dates and lists. Reports are written in the room's plan language;
// Nynorsk rooms get the Bokmål report, languages without a table English.
type lang struct {
	code    string
	tag     language.Tag
	decimal string // decimal separator
	group   string // thousands separator
	pct     string // between a number and "%"
	// csvComma separates CSV cells; a byte-order mark starts the file when
	// csvBOM, so that the spreadsheet of that country reads it as UTF-8.
	csvComma rune
	csvBOM   bool
	months   [12]string
	// date formats a day: "5. desember 2026".
	date func(l *lang, t time.Time) string
	// clock formats a time of day: "kl. 14.03".
	clock func(t time.Time) string
	w     words
}

// words are every fixed text a report shows. Each language fills them
// all (TestLanguagesComplete).
type words struct {
	Report, Room, Plan, Participants, Created, Exported, Ended, Open        string
	OnlyApproved, IncludesAll, Anonymous                                    string
	Answers, TooFew, Option, Count, Value, Word, Median, FollowUp, Share    string
	Answer, Takeaway, Group, Reflections, Takeaways, Texts                  string
	Pending, Hidden, Draft, Approved                                        string
	Actions, Number, Measure, Description, Responsible, Deadline, Status    string
	Step, Kind, NoActions, Print, PrintHint, Event, Rooms, Totals, Measures string
	Summary, SeeActions                                                     string
	// Questions, Votes and Answered label the question box.
	Questions, Votes, AnsweredMark string
}

var (
	langNB = &lang{
		code: "nb", tag: language.Norwegian, decimal: ",", group: "\u00a0", pct: "\u00a0",
		csvComma: ';', csvBOM: true,
		months: [12]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"},
		date:   dayMonthYear,
		clock:  func(t time.Time) string { return t.Format("kl. 15.04") },
		w: words{
			Report: "Rapport", Room: "Rom", Plan: "Opplegg", Participants: "Deltakere", Created: "Opprettet",
			Exported: "Eksportert", Ended: "Avsluttet", Open: "Pågår",
			OnlyApproved: "Rapporten har bare tekster kursholderen godkjente, og avslutningstankene deltakerne skrev.",
			IncludesAll:  "Rapporten har også tekster kursholderen ikke godkjente, og utkast som aldri ble levert.",
			Anonymous:    "Ingenting i rapporten viser hvem som skrev eller valgte hva, og rekkefølgen på tekstene sier ikke hvem som skrev når. Spørsmål færre enn 3 svarte på, vises uten resultater og tekster.",
			Answers:      "Antall svar", TooFew: "For få svar til å vise resultater (det trengs minst 3).",
			Option: "Alternativ", Count: "Antall", Value: "Verdi", Word: "Ord", Median: "Median",
			FollowUp: "Behov for oppfølging", Share: "Andel",
			Answer: "Svar", Takeaway: "Avslutningstanke", Group: "Gruppe", Reflections: "Gruppenes refleksjoner",
			Takeaways: "Dette tar deltakerne med seg", Texts: "Svar",
			Pending: "ikke godkjent", Hidden: "skjult", Draft: "utkast", Approved: "godkjent",
			Actions: "Handlingsliste", Number: "Nr.", Measure: "Tiltak", Description: "Beskrivelse",
			Responsible: "Ansvarlig", Deadline: "Frist", Status: "Status",
			Step: "Steg", Kind: "Type", NoActions: "Ingen tiltak ble foreslått.",
			Print: "Skriv ut eller lagre som PDF", PrintHint: "Velg «Lagre som PDF» i utskriftsvinduet for å få en PDF.",
			Event: "Arrangement", Rooms: "Rom", Totals: "Totalt for alle rom", Measures: "Tiltak",
			Summary: "Sammendrag", SeeActions: "Tiltakene står i handlingslisten til slutt.",
			Questions: "Spørsmål fra deltakerne", Votes: "Stemmer", AnsweredMark: "besvart",
		},
	}
	langDA = &lang{
		code: "da", tag: language.Danish, decimal: ",", group: ".", pct: "\u00a0",
		csvComma: ';', csvBOM: true,
		months: [12]string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
		date:   dayMonthYear,
		clock:  func(t time.Time) string { return t.Format("kl. 15.04") },
		w: words{
			Report: "Rapport", Room: "Rum", Plan: "Forløb", Participants: "Deltagere", Created: "Oprettet",
			Exported: "Eksporteret", Ended: "Afsluttet", Open: "I gang",
			OnlyApproved: "Rapporten har kun tekster, underviseren godkendte, og de afsluttende tanker, deltagerne skrev.",
			IncludesAll:  "Rapporten har også tekster, underviseren ikke godkendte, og kladder, der aldrig blev afleveret.",
			Anonymous:    "Intet i rapporten viser, hvem der skrev eller valgte hvad, og teksternes rækkefølge siger ikke, hvem der skrev hvornår. Spørgsmål, færre end 3 svarede på, vises uden resultater og tekster.",
			Answers:      "Antal svar", TooFew: "For få svar til at vise resultater (der skal være mindst 3).",
			Option: "Svarmulighed", Count: "Antal", Value: "Værdi", Word: "Ord", Median: "Median",
			FollowUp: "Behov for opfølgning", Share: "Andel",
			Answer: "Svar", Takeaway: "Afsluttende tanke", Group: "Gruppe", Reflections: "Gruppernes refleksioner",
			Takeaways: "Det tager deltagerne med sig", Texts: "Svar",
			Pending: "ikke godkendt", Hidden: "skjult", Draft: "kladde", Approved: "godkendt",
			Actions: "Handleplan", Number: "Nr.", Measure: "Tiltag", Description: "Beskrivelse",
			Responsible: "Ansvarlig", Deadline: "Frist", Status: "Status",
			Step: "Trin", Kind: "Type", NoActions: "Der blev ikke foreslået nogen tiltag.",
			Print: "Udskriv eller gem som PDF", PrintHint: "Vælg »Gem som PDF« i udskriftsvinduet for at få en PDF.",
			Event: "Arrangement", Rooms: "Rum", Totals: "Samlet for alle rum", Measures: "Tiltag",
			Summary: "Sammendrag", SeeActions: "Tiltagene står i handleplanen til sidst.",
			Questions: "Spørgsmål fra deltagerne", Votes: "Stemmer", AnsweredMark: "besvaret",
		},
	}
	langEN = &lang{
		code: "en", tag: language.English, decimal: ".", group: ",", pct: "",
		csvComma: ',', csvBOM: false,
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		date: func(l *lang, t time.Time) string {
			return fmt.Sprintf("%d %s %d", t.Day(), l.months[t.Month()-1], t.Year())
		},
		clock: func(t time.Time) string { return t.Format("15:04") },
		w: words{
			Report: "Report", Room: "Room", Plan: "Plan", Participants: "Participants", Created: "Created",
			Exported: "Exported", Ended: "Ended", Open: "In progress",
			OnlyApproved: "This report holds only texts the facilitator approved, and the closing thoughts participants wrote.",
			IncludesAll:  "This report also holds texts the facilitator did not approve, and drafts that were never handed in.",
			Anonymous:    "Nothing in this report shows who wrote or chose what, and the order of the texts does not tell who wrote when. Questions fewer than 3 people answered are shown without results or texts.",
			Answers:      "Answers", TooFew: "Too few answers to show results (at least 3 are needed).",
			Option: "Option", Count: "Count", Value: "Value", Word: "Word", Median: "Median",
			FollowUp: "Follow-up needs", Share: "Share",
			Answer: "Answer", Takeaway: "Takeaway", Group: "Group", Reflections: "The groups’ reflections",
			Takeaways: "What participants take with them", Texts: "Answers",
			Pending: "not approved", Hidden: "hidden", Draft: "draft", Approved: "approved",
			Actions: "Action list", Number: "No.", Measure: "Measure", Description: "Description",
			Responsible: "Responsible", Deadline: "Deadline", Status: "Status",
			Step: "Step", Kind: "Kind", NoActions: "No measures were proposed.",
			Print: "Print or save as PDF", PrintHint: "Choose “Save as PDF” in the print dialog to get a PDF.",
			Event: "Event", Rooms: "Rooms", Totals: "Totals across rooms", Measures: "Measures",
			Summary: "Summary", SeeActions: "The measures are in the action list at the end.",
			Questions: "Questions from the participants", Votes: "Votes", AnsweredMark: "answered",
		},
	}
	languages = []*lang{langNB, langDA, langEN}
)

// langFor picks the report language of a plan language.
func langFor(code string) *lang {
	switch strings.ToLower(code) {
	case "nb", "nn", "no":
		return langNB
	case "da":
		return langDA
	}
	return langEN
}

func dayMonthYear(l *lang, t time.Time) string {
	return fmt.Sprintf("%d. %s %d", t.Day(), l.months[t.Month()-1], t.Year())
}

// dateTime formats a moment: "5. desember 2026 kl. 14.03".
func (l *lang) dateTime(t time.Time) string {
	if l.code == "en" {
		return l.date(l, t) + ", " + l.clock(t)
	}
	return l.date(l, t) + " " + l.clock(t)
}

// int formats a whole number with the language's thousands separator.
func (l *lang) int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// num formats a number with at most one decimal: "2,5" in nb and da.
func (l *lang) num(f float64) string {
	if f == math.Trunc(f) {
		return l.int(int(f))
	}
	whole := math.Trunc(f)
	tenth := int(math.Round(math.Abs(f-whole) * 10))
	if tenth == 10 {
		return l.int(int(whole + math.Copysign(1, f)))
	}
	sign := ""
	if f < 0 && whole == 0 {
		sign = "-"
	}
	return sign + l.int(int(whole)) + l.decimal + strconv.Itoa(tenth)
}

// percent formats a share of a total as a whole percentage.
func (l *lang) percent(n, total int) string {
	if total == 0 {
		return "0" + l.pct + "%"
	}
	return strconv.Itoa(int(math.Round(float64(n)*100/float64(total)))) + l.pct + "%"
}

// status names a text's status; approved texts need no label.
func (l *lang) status(s string) string {
	switch s {
	case "pending":
		return l.w.Pending
	case "hidden":
		return l.w.Hidden
	case StatusDraft:
		return l.w.Draft
	case "approved":
		return l.w.Approved
	}
	return s
}

// collator sorts texts the way the language's readers expect (æ, ø, å
// after z in Norwegian and Danish), ignoring case.
func (l *lang) collator() *collate.Collator {
	return collate.New(l.tag, collate.IgnoreCase)
}
