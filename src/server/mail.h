// Mail (and SMS) the server sends (a copy of a question to its sender, an answer's notice, a lost
// password's link, a forgotten username): written as RFC 5322 messages into the outbox folder
// (`mutua serve --outbox`), which the fund's mail relay picks up. Never a password, an
// attachment or the fund's data about a patient in a mail: references and links.
#pragma once
#include <memory>
#include <string>

#include "mutua/error.h"
#include "mutua/server/server.h"

namespace mutua::server {

struct Mail {
  std::string to, subject, body;
};

// Sends the message to options.smtp when set (returns its Message-ID), else (or when the SMTP
// server does not take it) writes it atomically into options.outbox, created when missing
// (returns its path).
Result<std::string> send_mail(const ServeOptions& options, const Mail& mail);

// The default SMS sender: one `.sms` file per message in the outbox folder.
std::shared_ptr<SmsSender> outbox_sms(const std::string& outbox);

}  // namespace mutua::server
