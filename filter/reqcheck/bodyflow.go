package reqcheck

// The body's flow through the host's callbacks (step 12): what each
// request-body callback asks of the host, decided from the body mode step
// 7 chose and what has come so far. The plugin reads the body and runs
// the checks when asked (Check, CheckEmpty), refuses when asked
// (TooLarge), and maps the rest to the host's actions.

// Next is what a body callback asks of the plugin.
type Next uint8

const (
	// Go lets the headers or the chunk go on (Continue).
	Go Next = iota
	// Hold stops iteration without buffering (StopIteration).
	Hold
	// Buffer keeps the chunk with the body so far (StopIterationAndBuffer).
	Buffer
	// Watermark keeps the chunk with flow control, without the Wasm
	// buffering flag (StopIterationAndWatermark).
	Watermark
	// Drop stops and drops the chunk (StopIterationNoBuffer).
	Drop
	// Check: read the Seen buffered bytes and run the body checks.
	Check
	// CheckEmpty: run the body checks on an empty body (nothing to read).
	CheckEmpty
	// TooLarge: refuse with 413 (body_too_large).
	TooLarge
)

// Headers decides, once the header steps passed, whether the headers go
// upstream now or are held for the body checks. reported says a
// report-only policy would have refused (the checks end there); hold is
// hold_headers. stopped is the action when Check, CheckEmpty or TooLarge
// end in an answer of the filter.
func (b *Body) Headers(reported, hold bool) (n, stopped Next) {
	if reported || b.Mode == BodyPass {
		// A report-only refusal ends the checks: the body goes on unread.
		// Part of a body that was to be read may have come while a header
		// step waited, kept with StopIterationAndBuffer: Envoy then moves
		// the next chunk into that buffer too, and only a Continue given
		// while this filter is stopped sends it on. So the headers stay
		// held until that chunk (or the trailers) comes, and its Continue
		// releases everything.
		held := b.Early && !b.EarlyEnd && b.Mode == BodyRead
		b.Mode = BodyPass
		if held {
			return Hold, Hold
		}
		return Go, Go
	}
	if b.EndOfStream {
		if b.Mode == BodyRead {
			return CheckEmpty, Hold
		}
		return Go, Go
	}
	if b.Early {
		// Body came while a header step waited; the headers are held.
		if b.Over {
			b.Done = true
			return TooLarge, Hold
		}
		if b.Mode == BodyRead {
			if b.EarlyEnd {
				return Check, Hold
			}
			// The host delivered body callbacks while the headers were
			// stopped, so it honours StopIteration: keep holding whatever
			// hold_headers says, or the buffered part would leave unchecked.
			return Hold, Hold
		}
		if b.EarlyEnd {
			b.Done = true
		}
		return Go, Go
	}
	if b.Mode == BodyRead && hold {
		return Hold, Hold
	}
	return Go, Go
}

// Chunk is a request-body callback once the header steps passed: the
// streaming cap (BodyCount), or the buffered body (BodyRead) checked when
// complete.
func (b *Body) Chunk(size int, end bool) (n, stopped Next) {
	if b.Done || b.Mode == BodyPass {
		return Go, Go
	}
	if b.Mode == BodyCount {
		// Each chunk was released with Continue, so size is this chunk.
		b.Seen += int64(size)
		if b.Seen > b.Limit {
			b.Done = true
			return TooLarge, Drop
		}
		return Go, Go
	}
	// BodyRead: every earlier chunk was kept with StopIterationAndBuffer,
	// so size is the whole buffered body. Refusing as soon as it crosses
	// the cap keeps the buffer within max_body_bytes (plus the last chunk,
	// which Envoy added before calling).
	b.Seen = int64(size)
	if b.Seen > b.Limit {
		b.Done = true
		return TooLarge, Drop
	}
	if !end {
		return Buffer, Buffer
	}
	return Check, Drop
}

// Trailers ends a body that trailers follow: the buffered body is complete
// now and is checked before anything is released, so trailers cannot
// carry a request past the body checks.
func (b *Body) Trailers() (n, stopped Next) {
	if b.Done || b.Mode != BodyRead {
		return Go, Go
	}
	return Check, Hold
}

// WhileWaiting is a body callback while a header step waits on a callout
// (the headers are stopped): it records what came, keeps it, and past the
// cap drops the excess of an enforcing route (enforced; it will be
// refused with 413 once the header steps pass, keeping the order of
// checks).
//
// A body that will be read (BodyRead) is kept with Buffer, so that the
// checks can read it whole. Any other body is kept with Watermark: Envoy
// holds the chunks for this filter (with flow control rather than a 413
// past its buffer limit) without setting the Wasm buffering flag. After
// StopIterationAndBuffer Envoy would move the next chunk into the filter
// manager's buffer before calling the filter, and the Continue of a
// stream whose headers already went on would leave that chunk behind: a
// body streamed upstream would lose it.
func (b *Body) WhileWaiting(size int, end, enforced bool) Next {
	b.Early = true
	b.EarlyEnd = b.EarlyEnd || end
	if b.Over {
		return Drop
	}
	if b.Mode == BodyRead {
		// Everything so far was kept with Buffer: size is the whole
		// buffered body.
		b.Seen = int64(size)
	} else {
		// Each chunk was kept with Watermark: size is this chunk.
		b.Seen += int64(size)
	}
	if b.Mode != BodyPass && b.Seen > b.Limit && enforced {
		b.Over = true
		return Drop
	}
	if b.Mode == BodyRead {
		return Buffer
	}
	return Watermark
}

// TrailersWhileWaiting records that the request is complete while a
// header step waits.
func (b *Body) TrailersWhileWaiting() Next {
	b.Early = true
	b.EarlyEnd = true
	return Hold
}
