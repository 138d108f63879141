package rules

import "strings"

// size is a tire size as the caller gives it; zero fields are unknown.
type size struct {
	width   int // mm, 125..355, a multiple of 5 ending in 5
	profile int // percent, 25..85, a multiple of 5
	rim     int // inches, 12..24
}

func (s size) complete() bool { return s.width != 0 && s.profile != 0 && s.rim != 0 }
func (s size) empty() bool    { return s == size{} }

// merge takes the parts o knows.
func (s *size) merge(o size) {
	if o.width != 0 {
		s.width = o.width
	}
	if o.profile != 0 {
		s.profile = o.profile
	}
	if o.rim != 0 {
		s.rim = o.rim
	}
}

func validWidth(n int) bool   { return n >= 125 && n <= 355 && n%10 == 5 }
func validProfile(n int) bool { return n >= 25 && n <= 85 && n%5 == 0 }
func validRim(n int) bool     { return n >= 12 && n <= 24 }

// rimBefore are the words that put a rim after them: "R16", "эр шестнадцать",
// "радиус 17", "диаметр 15".
func rimBefore(w string) bool {
	return w == "r" || w == "р" || w == "эр" || w == "ар" || strings.HasPrefix(w, "радиус") || strings.HasPrefix(w, "диаметр")
}

// rimAfter are the words that put a rim before them: "16 радиус",
// "шестнадцатые диски", "17 дюймов".
func rimAfter(w string) bool {
	return strings.HasPrefix(w, "радиус") || strings.HasPrefix(w, "диск") || strings.HasPrefix(w, "дюйм")
}

// sizeSep may stand between the numbers of a size: "205 на 55", "205 x 55".
func sizeSep(w string) bool { return w == "на" || w == "x" || w == "х" || w == "и" }

// parseSize finds a tire size, or parts of one, in u.
//
// It always reads a whole size ("205/55 R16", "205 55 16", "205 на 55 на
// 16", "двести пять пятьдесят пять эр шестнадцать") and a rim with its
// marker ("R16", "радиус 17", "на шестнадцатый радиус"), and a width with
// a profile when written "205/55" or said alone ("205 55"). When loose (the
// caller is talking about tires, or the bot asked for the size) it also
// reads bare parts by their ranges, in the order width, profile, rim,
// starting after what known already holds: "на 16" and "шестнадцатый" are
// a rim, "205 55" a width and profile, "55 16" a profile and rim when the
// width is known.
func parseSize(u utterance, loose bool, known size) size {
	nums := u.numbers()
	used := make([]bool, len(nums))
	var s size
	wordAt := func(i int) string {
		if i >= 0 && i < len(u.f) {
			return u.f[i]
		}
		return ""
	}
	// A rim with its marker.
	for i, n := range nums {
		if !validRim(n.Value) {
			continue
		}
		if rimBefore(wordAt(n.at-1)) || rimAfter(wordAt(n.at+n.Words)) || n.Ordinal && loose {
			s.rim, used[i] = n.Value, true
			break
		}
	}
	// Width and profile side by side, maybe with the rim after them.
	for i := 0; i+1 < len(nums); i++ {
		a, b := nums[i], nums[i+1]
		if used[i] || used[i+1] || a.Ordinal || b.Ordinal || !validWidth(a.Value) || !validProfile(b.Value) || !adjacent(u, a, b) {
			continue
		}
		rimNext := i+2 < len(nums) && !used[i+2] && validRim(nums[i+2].Value) && adjacentOrMarked(u, b, nums[i+2])
		if !loose && !rimNext && s.rim == 0 && !strings.Contains(u.raw, "/") && !onlyNumbers(u, nums) {
			continue
		}
		s.width, s.profile = a.Value, b.Value
		used[i], used[i+1] = true, true
		if rimNext && s.rim == 0 {
			s.rim, used[i+2] = nums[i+2].Value, true
		}
		break
	}
	if !loose {
		return s
	}
	// Bare parts, in order, after what is known.
	have := known
	have.merge(s)
	for i, n := range nums {
		if used[i] || n.Ordinal {
			continue
		}
		switch {
		case have.width == 0 && have.profile == 0 && validWidth(n.Value):
			s.width, have.width = n.Value, n.Value
		case have.profile == 0 && validProfile(n.Value) && have.width != 0:
			s.profile, have.profile = n.Value, n.Value
		case have.rim == 0 && validRim(n.Value):
			s.rim, have.rim = n.Value, n.Value
		default:
			continue
		}
		used[i] = true
	}
	return s
}

// adjacent reports whether b follows a with at most one separator word.
func adjacent(u utterance, a, b number) bool {
	gap := b.at - (a.at + a.Words)
	return gap == 0 || gap == 1 && sizeSep(u.f[a.at+a.Words])
}

// adjacentOrMarked is adjacent, also across a rim marker ("55 R 16").
func adjacentOrMarked(u utterance, a, b number) bool {
	if adjacent(u, a, b) {
		return true
	}
	gap := b.at - (a.at + a.Words)
	if gap < 1 || gap > 2 {
		return false
	}
	for _, w := range u.f[a.at+a.Words : b.at] {
		if !rimBefore(w) && !sizeSep(w) {
			return false
		}
	}
	return true
}

// onlyNumbers reports whether u is nothing but the numbers nums.
func onlyNumbers(u utterance, nums []number) bool {
	n := 0
	for _, x := range nums {
		n += x.Words
	}
	return n == len(u.f)
}
