package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// The workbook has a summary sheet, one sheet per step with something to
// say, and one for the action list. Every cell a person wrote is stored
// as a string cell, so a spreadsheet never reads it as a formula.

// maxSheetName is Excel's limit on a sheet name's length.
const maxSheetName = 31

// sheet writes rows into one worksheet.
type sheet struct {
	f      *excelize.File
	name   string
	row    int
	styles *xlsxStyles
	err    error
}

type xlsxStyles struct {
	title, head, wrap, percent int
}

func (s *sheet) cell(col int) string {
	name, _ := excelize.CoordinatesToCellName(col, s.row)
	return name
}

// put writes one row of cells (strings, ints or float shares) with a style.
func (s *sheet) put(style int, cells ...any) {
	s.row++
	for i, v := range cells {
		if s.err != nil {
			return
		}
		c := s.cell(i + 1)
		switch v := v.(type) {
		case string:
			s.err = s.f.SetCellStr(s.name, c, v)
		case int:
			s.err = s.f.SetCellInt(s.name, c, int64(v))
		case share:
			s.err = s.f.SetCellFloat(s.name, c, float64(v), 4, 64)
			if s.err == nil {
				s.err = s.f.SetCellStyle(s.name, c, c, s.styles.percent)
			}
			continue
		}
		if s.err == nil && style != 0 {
			s.err = s.f.SetCellStyle(s.name, c, c, style)
		}
	}
}

func (s *sheet) blank() { s.row++ }

// share is a fraction shown as a percentage.
type share float64

func shareOf(n, total int) share {
	if total == 0 {
		return 0
	}
	return share(float64(n) / float64(total))
}

func (r *Report) writeXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	l := r.l()
	styles, err := newXLSXStyles(f)
	if err != nil {
		return fmt.Errorf("report: xlsx styles: %w", err)
	}
	used := map[string]bool{}
	first := sheetName(l.w.Summary, used)
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	sum := &sheet{f: f, name: first, styles: styles}
	sum.put(styles.title, r.Title)
	for _, m := range r.meta() {
		sum.put(0, m)
	}
	sum.blank()
	for _, n := range r.notes() {
		sum.put(styles.wrap, n)
	}
	sum.err = firstErr(sum.err, f.SetColWidth(first, "A", "A", 100))
	if sum.err != nil {
		return fmt.Errorf("report: xlsx summary: %w", sum.err)
	}
	for i := range r.Steps {
		st := &r.Steps[i]
		if !st.reportable() {
			continue
		}
		if err := r.stepSheet(f, st, sheetName(fmt.Sprintf("%d %s", st.Index+1, st.Title), used), styles); err != nil {
			return err
		}
	}
	if err := r.actionSheet(f, sheetName(l.w.Actions, used), styles); err != nil {
		return err
	}
	if len(r.Questions) > 0 {
		if err := r.questionSheet(f, sheetName(l.w.Questions, used), styles); err != nil {
			return err
		}
	}
	err = f.SetDocProps(&excelize.DocProperties{Title: r.Title, Language: r.Language, Creator: "Stoppunkt"})
	if err == nil {
		err = f.Write(w)
	}
	if err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	var s xlsxStyles
	var err error
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return nil, err
	}
	if s.head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF4"}}}); err != nil {
		return nil, err
	}
	if s.wrap, err = f.NewStyle(&excelize.Style{Alignment: top}); err != nil {
		return nil, err
	}
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 9}); err != nil {
		return nil, err
	}
	return &s, nil
}

// sheetName makes a valid, unique sheet name: at most 31 characters,
// none of : \ / ? * [ ].
func sheetName(want string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < ' ' {
			return ' '
		}
		return r
	}, want)
	clean = strings.Trim(strings.Join(strings.Fields(clean), " "), "'")
	if clean == "" {
		clean = "-"
	}
	name := truncateRunes(clean, maxSheetName)
	for n := 2; used[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		name = truncateRunes(clean, maxSheetName-len(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (r *Report) stepSheet(f *excelize.File, st *Step, name string, styles *xlsxStyles) error {
	l := r.l()
	if _, err := f.NewSheet(name); err != nil {
		return fmt.Errorf("report: xlsx sheet: %w", err)
	}
	s := &sheet{f: f, name: name, styles: styles}
	s.put(styles.title, fmt.Sprintf("%d. %s", st.Index+1, st.Title))
	if room.Takes(st.Kind) || room.Shared(st.Kind) {
		s.put(0, l.w.Answers, st.Answered)
		if st.TooFew {
			s.put(0, l.w.TooFew)
		}
	}
	counts := func(head string, cs []Count) {
		s.blank()
		s.put(styles.head, head, l.w.Count, l.w.Share)
		for _, c := range cs {
			s.put(styles.wrap, c.Option, c.Count, shareOf(c.Count, st.Answered))
		}
	}
	switch {
	case len(st.Options) > 0:
		counts(l.w.Option, st.Options)
	case st.Scale != nil:
		s.blank()
		s.put(styles.head, l.w.Value, l.w.Count)
		for i, c := range st.Scale.Counts {
			s.put(0, scaleLabel(st.Scale, i, func(x string) string { return x }), c)
		}
		s.blank()
		s.row++
		s.err = firstErr(s.err, f.SetCellStr(name, s.cell(1), l.w.Median), f.SetCellFloat(name, s.cell(2), st.Scale.Median, 1, 64))
	case len(st.Words) > 0:
		s.blank()
		s.put(styles.head, l.w.Word, l.w.Count)
		for _, w := range st.Words {
			s.put(0, w.Word, w.Count)
		}
	}
	if len(st.FollowUp) > 0 {
		counts(l.w.FollowUp, st.FollowUp)
	}
	if len(st.Texts) > 0 {
		s.blank()
		head := []any{l.w.Texts, l.w.Kind}
		if r.IncludesAll {
			head = append(head, l.w.Status)
		}
		s.put(styles.head, head...)
		for _, t := range st.Texts {
			row := []any{t.Text, textLabel(l, t)}
			if r.IncludesAll {
				row = append(row, l.status(t.Status))
			}
			s.put(styles.wrap, row...)
		}
	}
	s.err = firstErr(s.err, f.SetColWidth(name, "A", "A", 70), f.SetColWidth(name, "B", "C", 16))
	if s.err != nil {
		return fmt.Errorf("report: xlsx sheet %d: %w", st.Index+1, s.err)
	}
	return nil
}

// questionSheet lists the question box's questions with their votes.
func (r *Report) questionSheet(f *excelize.File, name string, styles *xlsxStyles) error {
	l := r.l()
	if _, err := f.NewSheet(name); err != nil {
		return fmt.Errorf("report: xlsx sheet: %w", err)
	}
	s := &sheet{f: f, name: name, styles: styles}
	s.put(styles.title, l.w.Questions)
	s.blank()
	s.put(styles.head, l.w.Questions, l.w.Votes, l.w.Status)
	for _, q := range r.Questions {
		status := l.status(q.Status)
		if q.Answered {
			status = strings.TrimPrefix(status+" · "+l.w.AnsweredMark, " · ")
		}
		s.put(styles.wrap, q.Text, q.Votes, status)
	}
	s.err = firstErr(s.err, f.SetColWidth(name, "A", "A", 70), f.SetColWidth(name, "B", "C", 14))
	if s.err != nil {
		return fmt.Errorf("report: xlsx questions: %w", s.err)
	}
	return nil
}

func (r *Report) actionSheet(f *excelize.File, name string, styles *xlsxStyles) error {
	l := r.l()
	if _, err := f.NewSheet(name); err != nil {
		return fmt.Errorf("report: xlsx sheet: %w", err)
	}
	s := &sheet{f: f, name: name, styles: styles}
	s.put(styles.title, l.w.Actions)
	s.blank()
	head := []any{l.w.Number, l.w.Measure, l.w.Description, l.w.Responsible, l.w.Deadline, l.w.Group, l.w.Step}
	if r.IncludesAll {
		head = append(head, l.w.Status)
	}
	s.put(styles.head, head...)
	if len(r.Actions) == 0 {
		s.put(0, "", l.w.NoActions)
	}
	for i, a := range r.Actions {
		measure, desc := splitMeasure(a.What)
		group := any("")
		if a.Group != 0 {
			group = a.Group
		}
		row := []any{i + 1, measure, desc, a.Who, a.When, group, a.Step + 1}
		if r.IncludesAll {
			row = append(row, l.status(a.Status))
		}
		s.put(styles.wrap, row...)
	}
	s.err = firstErr(s.err, f.SetColWidth(name, "A", "A", 6), f.SetColWidth(name, "B", "C", 45),
		f.SetColWidth(name, "D", "E", 22), f.SetColWidth(name, "F", "H", 10),
		f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}))
	if s.err != nil {
		return fmt.Errorf("report: xlsx actions: %w", s.err)
	}
	return nil
}
