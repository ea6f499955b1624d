package plugin

import "github.com/apiguard/apiguard/filter/authn"

// bodyForm is the request body as the form shadows of owner rules read it
// (step 12), and as JSON for their JSON copies: form is the body, or "".
func (s *stream) bodyForm(form string) authn.Form {
	return authn.Form{Body: form, URLEncoded: s.body.Form, Multipart: s.body.Multipart, JSON: s.body.JSON}
}

// checkOwnerForm is the form part of the owner checks (authn.CheckForm),
// run by the body checks of step 12.
func (s *stream) checkOwnerForm(form string) result {
	ar := s.authRoute()
	if ar == nil {
		return next
	}
	return s.refuseFor(authn.CheckForm(ar.Owner, s.identity, s.bodyForm(form)))
}

// checkBodyOwner is the body_owner part of step 12 (authn.CheckBodyOwner),
// run once the request body is complete and well-formed JSON.
func (s *stream) checkBodyOwner(body []byte, form string) result {
	ar := s.authRoute()
	if ar == nil {
		return next
	}
	return s.refuseFor(authn.CheckBodyOwner(ar.BodyOwner, s.identity, s.req.Query, body, s.bodyForm(form)))
}
