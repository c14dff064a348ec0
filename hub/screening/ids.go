package screening

// validNationalID reports whether d, 11 ASCII digits, is a valid Norwegian
// fødselsnummer or D-number: a date of birth (a D-number adds 40 to the
// day), an individual number whose range fits the year, and two mod-11
// check digits.
func validNationalID(d string) bool {
	if len(d) != 11 {
		return false
	}
	var n [11]int
	for i := range n {
		if !isDigit(d[i]) {
			return false
		}
		n[i] = int(d[i] - '0')
	}
	k1 := mod11(n[:9], []int{3, 7, 6, 1, 8, 9, 4, 5, 2})
	k2 := mod11(n[:10], []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2})
	if k1 != n[9] || k2 != n[10] {
		return false
	}
	day := n[0]*10 + n[1]
	if day > 40 {
		day -= 40 // D-number
	}
	month := n[2]*10 + n[3]
	yy := n[4]*10 + n[5]
	individual := n[6]*100 + n[7]*10 + n[8]
	year, ok := nationalIDYear(yy, individual)
	return ok && validDate(year, month, day)
}

// mod11 computes a mod-11 check digit of digits with weights; -1 when the
// remainder makes no check digit (the number is then never valid).
func mod11(digits, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += digits[i] * w
	}
	k := 11 - sum%11
	switch k {
	case 11:
		return 0
	case 10:
		return -1
	}
	return k
}

// nationalIDYear gives the year of birth of a fødselsnummer from its
// two-digit year and individual number, by the ranges the population
// register assigns: 000-499 for 1900-1999, 500-749 for 1854-1899, 500-999
// for 2000-2039 and 900-999 for 1940-1999.
func nationalIDYear(yy, individual int) (int, bool) {
	switch {
	case individual <= 499:
		return 1900 + yy, true
	case individual <= 749 && yy >= 54:
		return 1800 + yy, true
	case yy <= 39:
		return 2000 + yy, true
	case individual >= 900:
		return 1900 + yy, true
	}
	return 0, false
}

// validCPR reports whether d, 10 ASCII digits, starts with a valid date of
// birth in the century its seventh digit gives. CPR numbers issued since
// 2007 need not satisfy the old mod-11 rule, so there is no check digit.
func validCPR(d string) bool {
	if len(d) != 10 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	num := func(i int) int { return int(d[i]-'0')*10 + int(d[i+1]-'0') }
	day, month, yy := num(0), num(2), num(4)
	year := 1900 + yy
	switch d[6] {
	case '4', '9':
		if yy <= 36 {
			year = 2000 + yy
		}
	case '5', '6', '7', '8':
		if yy <= 57 {
			year = 2000 + yy
		} else {
			year = 1800 + yy
		}
	}
	return validDate(year, month, day)
}

// validDate reports whether day and month make a date in year.
func validDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// dateShaped reports whether eight digits read as a date: YYYYMMDD or
// DDMMYYYY with a year from 1900 to 2099.
func dateShaped(d string) bool {
	if len(d) != 8 {
		return false
	}
	num := func(s string) int {
		v := 0
		for i := 0; i < len(s); i++ {
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	ok := func(y, m, day int) bool { return y >= 1900 && y <= 2099 && validDate(y, m, day) }
	return ok(num(d[:4]), num(d[4:6]), num(d[6:])) || ok(num(d[4:]), num(d[2:4]), num(d[:2]))
}
