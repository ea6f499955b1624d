// Package jsonxtest builds the deterministic JSON documents the benchmarks
// and tests of several packages share (jsonx, redact, schema): realistic API
// responses of a chosen size, the same bytes on every run. It is imported by
// test files only.
package jsonxtest

import "strconv"

// xorshift is Marsaglia's 32-bit xorshift generator: a fixed sequence per
// seed, so a document is the same on every run and platform.
type xorshift uint32

// intn returns the next value of the sequence modulo n.
func (x *xorshift) intn(n int) int {
	s := uint32(*x)
	s ^= s << 13
	s ^= s >> 17
	s ^= s << 5
	*x = xorshift(s)
	return int(s % uint32(n))
}

// Users builds a page of users of about size bytes: nested objects and
// arrays, strings with escapes and non-ASCII text, integers, fractions and
// exponents, booleans and nulls.
func Users(size int) []byte {
	r := xorshift(2463534242)
	rnd := r.intn
	words := []string{"alpha", "beta", "gamma", "delta", "caf\\u00e9", "na\u00efve", "\u65e5\u672c",
		"line\\nbreak", "tab\\there", "quote\\\"d", "slash\\/", "plain"}
	b := []byte(`{"meta":{"request_id":"7f3c9a2e-1b4d-4e8f-9a6c-0d2e5f8b1c3a","page":1,` +
		`"per_page":100,"total":123456,"ratio":0.875,"next":null},"data":[`)
	for i := 0; len(b) < size-600; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		id := strconv.Itoa(100000 + i)
		b = append(b, `{"id":`+id+`,"uuid":"`+strconv.FormatUint(uint64(r)*2654435761, 16)+`",`...)
		b = append(b, `"name":"User `+id+` `+words[rnd(len(words))]+`","email":"user`+id+`@example.com",`...)
		b = append(b, `"active":`+strconv.FormatBool(rnd(2) == 0)+`,"score":`+strconv.Itoa(rnd(1000))+`.`+strconv.Itoa(rnd(100))+`,`...)
		b = append(b, `"balance":-`+strconv.Itoa(rnd(99999))+`e-2,"tags":[`...)
		for j := range 1 + rnd(4) {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, words[rnd(len(words))]...)
			b = append(b, '"')
		}
		b = append(b, `],"bio":"`...)
		for j := range 3 + rnd(6) {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[rnd(len(words))]...)
		}
		b = append(b, `","address":{"street":"`+strconv.Itoa(rnd(999))+` Main St","city":"Springfield",`+
			`"zip":"`+strconv.Itoa(10000+rnd(89999))+`","geo":{"lat":37.`+strconv.Itoa(rnd(99999))+
			`,"lng":-122.`+strconv.Itoa(rnd(99999))+`}},"prefs":{"lang":"fr","tz":"Europe/Paris",`+
			`"notify":[{"kind":"email","on":true},{"kind":"sms","on":false}]},"note":null}`...)
	}
	b = append(b, `]}`...)
	return b
}

// Orders builds a page of orders of about size bytes: nested customers,
// addresses, line items, free text with escapes and non-ASCII, numbers of
// several shapes, and a payment object (holding a token) on one order in
// four.
func Orders(size int) []byte {
	r := xorshift(88172645)
	rnd := r.intn
	text := []string{"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit",
		"sed", "do", "eiusmod", "tempor", "caf\\u00e9", "na\u00efve", "\u00fcber", "line\\nbreak"}
	b := []byte(`{"meta":{"request_id":"0d5c2f0e-3a71-4b8e-9f7d-61a3c2b4e5f6","page":3,"per_page":50,` +
		`"total":4821,"next_cursor":"eyJwYWdlIjo0fQ"},"data":[`)
	for i := 0; len(b) < size-900; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		id := strconv.Itoa(5000 + i)
		b = append(b, `{"id":"ord_`+id+`","status":"shipped","created_at":"2026-10-0`+strconv.Itoa(1+rnd(9))+
			`T12:`+strconv.Itoa(10+rnd(49))+`:00Z","customer":{"id":"cus_`+strconv.Itoa(rnd(99999))+
			`","name":"Customer `+id+`","email":"c`+id+`@example.org","phone":"+1-555-01`+strconv.Itoa(10+rnd(89))+
			`"},"total":{"amount":`+strconv.Itoa(rnd(99999))+`,"currency":"EUR","tax_rate":0.2},"items":[`...)
		for j := range 1 + rnd(3) {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"sku":"SKU-`+strconv.Itoa(rnd(9999))+`","qty":`+strconv.Itoa(1+rnd(5))+
				`,"price":`+strconv.Itoa(rnd(999))+`.`+strconv.Itoa(10+rnd(89))+`,"weight":1.5e-1}`...)
		}
		b = append(b, `],"notes":"`...)
		for j := range 4 + rnd(10) {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, text[rnd(len(text))]...)
		}
		b = append(b, `","shipping":{"address":{"line1":"`+strconv.Itoa(rnd(999))+` Rue de la Paix","city":"Paris",`+
			`"postcode":"750`+strconv.Itoa(10+rnd(10))+`","country":"FR"},"carrier":"colissimo","tracking":"6A`+
			strconv.Itoa(rnd(999999999))+`","delivered":`+strconv.FormatBool(rnd(2) == 0)+`,"signed_by":null}`...)
		if rnd(4) == 0 {
			b = append(b, `,"payment":{"card_last4":"4242","token":"tok_`+strconv.Itoa(rnd(999999))+`"}`...)
		}
		b = append(b, '}')
	}
	return append(b, `]}`...)
}
