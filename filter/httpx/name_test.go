package httpx

import "testing"

func TestQueryName_normalisedLikeFrameworks(t *testing.T) {
	cases := []struct {
		raw, want string
		bracket   int
	}{
		{"access_token", "access_token", -1},
		{"ACCESS.TOKEN", "access_token", -1},
		{"access+token", "access_token", -1},
		{"access%20token", "access_token", -1},
		{"access[token", "access_token", 6},
		{"access%5Btoken", "access_token", 6},
		{"%61ccess_token", "access_token", -1},
		{"%5Fmethod", "_method", -1},
		{"ACCESS_TO\u212AEN", "access_token", -1}, // Kelvin sign folds to k
		{"access_token[]", "access_token_]", 12},
		{"a%zzb", "a%zzb", -1},
		{"a%4", "a%4", -1},
		{"%ff", "\xff", -1},
		{"%C3%89t%C3%A9", "\u00e9t\u00e9", -1},
		// Leading spaces are dropped, as PHP does (docs/configuration.md "Query and
		// cookie names"); inner and trailing ones become '_'.
		{"+user_id", "user_id", -1},
		{"%20user_id", "user_id", -1},
		{"++%20+user_id+", "user_id_", -1},
		{"user+id", "user_id", -1},
		{"+[user_id", "_user_id", 0},
		{"+", "", -1},
		{"%09user_id", "\tuser_id", -1}, // only spaces: control characters are step 1's
		{"USER_\u0130D", "user_id", -1}, // dotted capital I folds to i
		{"user_\u0131d", "user_id", -1}, // dotless i folds to i
		// Leading spaces, however written, are dropped (PHP); inner and
		// trailing ones are '_'.
		{"+jwt", "jwt", -1},
		{"%20jwt", "jwt", -1},
		{" jwt", "jwt", -1},
		{"++%20+jwt+", "jwt_", -1},
		{"+[jwt", "_jwt", 0},
		{"+ +", "", -1},
		{"%09jwt", "\tjwt", -1}, // a tab is not a space (step 1 refuses it)
		{"jwt%00", "jwt\x00", -1},
	}
	for _, c := range cases {
		got, bracket := AppendQueryName(nil, c.raw)
		if string(got) != c.want || bracket != c.bracket {
			t.Errorf("AppendQueryName(%q) = %q, %d; want %q, %d", c.raw, got, bracket, c.want, c.bracket)
		}
	}
}

// NormalizeQueryName (the configuration's names) and AppendQueryName (the
// request's names) must agree, or a name written in the config could be
// missed in requests.
func FuzzQueryName_requestMatchesConfig(f *testing.F) {
	for _, s := range []string{"access_token", "ACCESS.TOKEN", "a+b", "%61", "%5B", "%", "%4", "\xff", "\u212A", "ſ", "İ", "%C4%B0", "a[b[c", "+a", "%20%20a", "%20+[b", "++"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, bracket := AppendQueryName(nil, raw)
		if want := NormalizeQueryName(raw); string(got) != want {
			t.Fatalf("AppendQueryName(%q) = %q, config says %q", raw, got, want)
		}
		if bracket > len(got) {
			t.Fatalf("bracket %d past the name %q", bracket, got)
		}
	})
}

func TestQueryValue_appendDecoded(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "a%2Bb": "a+b", "a+b": "a b", "%zz": "%zz", "%4": "%4", "%41%42": "AB", "": "", "%%41": "%A", "%2541": "%41",
	} {
		if got := string(AppendQueryDecoded([]byte("x"), in)); got != "x"+want {
			t.Errorf("AppendQueryDecoded(%q) = %q, want %q", in, got, "x"+want)
		}
	}
}

func TestQueryName_indexOfConfiguredName(t *testing.T) {
	names := []string{"access_token", "api_key"}
	for raw, want := range map[string]int{
		"access_token": 0, "ACCESS.TOKEN": 0, "access_token[]": 0, "access_token[a]": 0,
		"Api%5Bkey": 1, "api_key[x": 1, "access[token]": -1, "access_tokens": -1, "": -1,
		"+access_token": 0, "%20%20api.key[]": 1, "+": -1, "++": -1, "%20api_key[]": 1, "_access_token": -1,
		// The first bracket-delimited component (Rack 2, Express's qs).
		"[access_token]": 0, "%5Baccess_token%5D": 0, "access_token]": 0, "]access_token": 0,
		"[[access_token]]": 0, "[ACCESS.TOKEN]": 0, "+[api_key]": 1, "%20%5D%5Bapi_key": 1,
		"[x][access_token]": -1, "[access%2Btoken]": -1, "%2B[access_token]": -1, "[]": -1, "]": -1,
	} {
		if got := QueryNameIndex(raw, names...); got != want {
			t.Errorf("QueryNameIndex(%q) = %d, want %d", raw, got, want)
		}
	}
	if got := QueryNameIndex("x"); got != -1 {
		t.Errorf("no names: %d", got)
	}
	if n := testing.AllocsPerRun(100, func() { QueryNameIndex("ACCESS%2Etoken[0]", "api_key", "access_token") }); n != 0 {
		t.Errorf("QueryNameIndex allocates %.0f times per call", n)
	}
	if n := testing.AllocsPerRun(100, func() { QueryNameIndex("%5B%5BACCESS%2Etoken%5D%5D", "api_key", "access_token") }); n != 0 {
		t.Errorf("QueryNameIndex allocates %.0f times per call", n)
	}
}
