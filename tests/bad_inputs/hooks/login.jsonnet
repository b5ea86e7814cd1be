// Body sent to the login web hook: who logged in, and with which method.
function(ctx) {
  identity_id: ctx.identity.id,
  email: ctx.identity.traits.email,
  method: ctx.flow.active,
}
