"""What the bot says, per language. English is complete and the fallback; every other
language must have every key with the same placeholders (a unit test enforces it)."""

from __future__ import annotations

EN = {
    "group_notice": (
        "{mentions}: to write in <b>{group}</b> please join {channels} first. "
        "You can write as soon as you have joined."
    ),
    "join_notice": (
        "{mention}, to write in <b>{group}</b> please join {channels} first, "
        "then press the button below."
    ),
    "join_button": "Join {title}",
    "joined_button": "✅ I have joined",
    "not_your_button": "This button is for {name}. Join the channels and you can write too.",
    "still_missing": "You have not joined yet: {channels}",
    "verified": "Thank you! You can write now.",
    "throttled": "Just a moment, checking again in a few seconds.",
    "cannot_check": "Telegram did not answer; please try again in a minute.",
    "gone": "This notice is no longer valid.",
    "admins_only": "Only group admins can use {command}.",
    "protect_usage": (
        "Usage: <code>/protect @channel [@channel2 …]</code> — channel usernames or numeric ids."
    ),
    "protected": "🛡 <b>{group}</b> is protected. Members must join: {channels}.",
    "protect_problems": "I cannot protect this group yet:\n{problems}",
    "need_group_rights": (
        "• make me an admin here with the rights to restrict members and delete messages"
    ),
    "need_channel_admin": "• make me an admin in {channel}",
    "channel_not_found": "• I cannot find the channel {channel}: check the name or add me to it",
    "not_a_channel": "• {channel} is not a channel",
    "unprotected": "Protection is off. I lifted {count} mute(s) I had applied.",
    "not_protected": "This group is not protected. Use /protect @channel to start.",
    "status": (
        "🛡 <b>{group}</b>: protection is <b>{state}</b>.\nRequired: {channels}\n"
        "Muted by me now: {muted}"
    ),
    "state_on": "on",
    "state_off": "off",
    "settings": (
        "Settings of <b>{group}</b>:\n{lines}\n\n"
        "Change one with <code>/settings name value</code>, e.g. "
        "<code>/settings notice_ttl 120</code>."
    ),
    "settings_changed": "✅ {name} is now {value}.",
    "settings_invalid": "That did not work: {problem}",
    "settings_unknown": "Unknown setting. Known: {names}",
    "whitelist_usage": (
        "Usage: <code>/whitelist add|remove</code> (reply to a message or give a user id), "
        "<code>/whitelist list</code>"
    ),
    "whitelist_added": "✅ {who} may write without joining the channels.",
    "whitelist_removed": "✅ {who} is no longer exempt.",
    "whitelist_list": "Exempt members: {ids}",
    "whitelist_empty": "No one is exempt.",
    "help": (
        "I keep this group for channel subscribers.\n"
        "/protect @channel [@channel2 …] — require channels (admins)\n"
        "/unprotect — stop and lift my mutes (admins)\n"
        "/status — what is required and who is muted\n"
        "/settings — view or change settings (admins)\n"
        "/whitelist — members who need not join (admins)"
    ),
    "start": (
        "Hi! I let people write in a group only while they are subscribed to the channels "
        "the group requires.\nAdd me to your group as an admin, make me an admin of your "
        'channels, then send <code>/protect @channel</code> in the group.\n<a href="{add_link}">'
        "Add me to a group</a>"
    ),
    "join_request_dm": (
        "To join <b>{group}</b>, please subscribe to {channels} first. "
        "I will let you in as soon as you have joined."
    ),
    "join_request_declined": "Your request to join <b>{group}</b> expired; you can ask again.",
    "lost_group_rights": (
        "⚠️ I can no longer restrict members or delete messages here. "
        "Make me an admin with those rights, or protection stops working."
    ),
    "lost_channel_rights": (
        "⚠️ I am no longer an admin in {channel}, so I cannot check who is subscribed. "
        "Until you fix it, members are let through."
    ),
    "not_operator": "This bot's dashboard is for its operators only.",
    "login_link": (
        'Your sign-in link (valid 5 minutes, once): <a href="{url}">open the dashboard</a>'
    ),
}

DE = {
    "group_notice": (
        "{mentions}: um in <b>{group}</b> zu schreiben, tretet bitte zuerst {channels} bei. "
        "Sobald ihr beigetreten seid, könnt ihr schreiben."
    ),
    "join_notice": (
        "{mention}, um in <b>{group}</b> zu schreiben, tritt bitte zuerst {channels} bei "
        "und drücke dann unten auf den Knopf."
    ),
    "join_button": "{title} beitreten",
    "joined_button": "✅ Ich bin beigetreten",
    "not_your_button": (
        "Dieser Knopf ist für {name}. Tritt den Kanälen bei, dann kannst du auch schreiben."
    ),
    "still_missing": "Du bist noch nicht beigetreten: {channels}",
    "verified": "Danke! Du kannst jetzt schreiben.",
    "throttled": "Einen Moment, ich prüfe in ein paar Sekunden erneut.",
    "cannot_check": "Telegram hat nicht geantwortet; bitte versuche es in einer Minute erneut.",
    "gone": "Dieser Hinweis ist nicht mehr gültig.",
    "admins_only": "Nur Gruppenadmins können {command} verwenden.",
    "protect_usage": (
        "Verwendung: <code>/protect @kanal [@kanal2 …]</code> — Kanalnamen oder numerische IDs."
    ),
    "protected": "🛡 <b>{group}</b> ist geschützt. Mitglieder müssen beitreten: {channels}.",
    "protect_problems": "Ich kann diese Gruppe noch nicht schützen:\n{problems}",
    "need_group_rights": (
        "• mach mich hier zum Admin mit dem Recht, Mitglieder einzuschränken und "
        "Nachrichten zu löschen"
    ),
    "need_channel_admin": "• mach mich zum Admin in {channel}",
    "channel_not_found": (
        "• ich finde den Kanal {channel} nicht: prüfe den Namen oder füge mich hinzu"
    ),
    "not_a_channel": "• {channel} ist kein Kanal",
    "unprotected": "Der Schutz ist aus. Ich habe {count} meiner Stummschaltungen aufgehoben.",
    "not_protected": "Diese Gruppe ist nicht geschützt. Starte mit /protect @kanal.",
    "status": (
        "🛡 <b>{group}</b>: Schutz ist <b>{state}</b>.\nErforderlich: {channels}\n"
        "Von mir stummgeschaltet: {muted}"
    ),
    "state_on": "an",
    "state_off": "aus",
    "settings": (
        "Einstellungen von <b>{group}</b>:\n{lines}\n\n"
        "Ändern mit <code>/settings name wert</code>, z. B. "
        "<code>/settings notice_ttl 120</code>."
    ),
    "settings_changed": "✅ {name} ist jetzt {value}.",
    "settings_invalid": "Das hat nicht geklappt: {problem}",
    "settings_unknown": "Unbekannte Einstellung. Bekannt: {names}",
    "whitelist_usage": (
        "Verwendung: <code>/whitelist add|remove</code> (als Antwort auf eine Nachricht oder "
        "mit Nutzer-ID), <code>/whitelist list</code>"
    ),
    "whitelist_added": "✅ {who} darf schreiben, ohne den Kanälen beizutreten.",
    "whitelist_removed": "✅ {who} ist nicht mehr ausgenommen.",
    "whitelist_list": "Ausgenommene Mitglieder: {ids}",
    "whitelist_empty": "Niemand ist ausgenommen.",
    "help": (
        "Ich halte diese Gruppe für Kanal-Abonnenten.\n"
        "/protect @kanal [@kanal2 …] — Kanäle verlangen (Admins)\n"
        "/unprotect — beenden und meine Stummschaltungen aufheben (Admins)\n"
        "/status — was verlangt wird und wer stumm ist\n"
        "/settings — Einstellungen ansehen oder ändern (Admins)\n"
        "/whitelist — Mitglieder, die nicht beitreten müssen (Admins)"
    ),
    "start": (
        "Hallo! Ich lasse Leute in einer Gruppe nur schreiben, solange sie die Kanäle der "
        "Gruppe abonniert haben.\nFüge mich als Admin zu deiner Gruppe hinzu, mach mich zum "
        "Admin deiner Kanäle und sende dann <code>/protect @kanal</code> in der Gruppe.\n"
        '<a href="{add_link}">Zu einer Gruppe hinzufügen</a>'
    ),
    "join_request_dm": (
        "Um <b>{group}</b> beizutreten, abonniere bitte zuerst {channels}. "
        "Sobald du beigetreten bist, lasse ich dich herein."
    ),
    "join_request_declined": (
        "Deine Beitrittsanfrage für <b>{group}</b> ist abgelaufen; du kannst erneut fragen."
    ),
    "lost_group_rights": (
        "⚠️ Ich kann hier keine Mitglieder mehr einschränken oder Nachrichten löschen. "
        "Gib mir diese Admin-Rechte, sonst funktioniert der Schutz nicht."
    ),
    "lost_channel_rights": (
        "⚠️ Ich bin kein Admin mehr in {channel} und kann Abonnements nicht prüfen. "
        "Bis das behoben ist, lasse ich Mitglieder durch."
    ),
    "not_operator": "Das Dashboard dieses Bots ist nur für seine Betreiber.",
    "login_link": (
        'Dein Anmeldelink (5 Minuten gültig, einmalig): <a href="{url}">Dashboard öffnen</a>'
    ),
}

ES = {
    "group_notice": (
        "{mentions}: para escribir en <b>{group}</b> uníos primero a {channels}. "
        "Podréis escribir en cuanto os hayáis unido."
    ),
    "join_notice": (
        "{mention}, para escribir en <b>{group}</b> únete primero a {channels} "
        "y luego pulsa el botón de abajo."
    ),
    "join_button": "Unirse a {title}",
    "joined_button": "✅ Ya me uní",
    "not_your_button": "Este botón es para {name}. Únete a los canales y también podrás escribir.",
    "still_missing": "Todavía no te has unido: {channels}",
    "verified": "¡Gracias! Ya puedes escribir.",
    "throttled": "Un momento, vuelvo a comprobar en unos segundos.",
    "cannot_check": "Telegram no respondió; inténtalo de nuevo en un minuto.",
    "gone": "Este aviso ya no es válido.",
    "admins_only": "Solo los administradores del grupo pueden usar {command}.",
    "protect_usage": (
        "Uso: <code>/protect @canal [@canal2 …]</code> — nombres de canal o ids numéricos."
    ),
    "protected": "🛡 <b>{group}</b> está protegido. Los miembros deben unirse a: {channels}.",
    "protect_problems": "Todavía no puedo proteger este grupo:\n{problems}",
    "need_group_rights": (
        "• hazme administrador aquí con permiso para restringir miembros y borrar mensajes"
    ),
    "need_channel_admin": "• hazme administrador en {channel}",
    "channel_not_found": "• no encuentro el canal {channel}: revisa el nombre o añádeme",
    "not_a_channel": "• {channel} no es un canal",
    "unprotected": "La protección está desactivada. Levanté {count} silencio(s) que había puesto.",
    "not_protected": "Este grupo no está protegido. Usa /protect @canal para empezar.",
    "status": (
        "🛡 <b>{group}</b>: la protección está <b>{state}</b>.\nRequeridos: {channels}\n"
        "Silenciados por mí ahora: {muted}"
    ),
    "state_on": "activada",
    "state_off": "desactivada",
    "settings": (
        "Ajustes de <b>{group}</b>:\n{lines}\n\n"
        "Cambia uno con <code>/settings nombre valor</code>, p. ej. "
        "<code>/settings notice_ttl 120</code>."
    ),
    "settings_changed": "✅ {name} ahora es {value}.",
    "settings_invalid": "No funcionó: {problem}",
    "settings_unknown": "Ajuste desconocido. Conocidos: {names}",
    "whitelist_usage": (
        "Uso: <code>/whitelist add|remove</code> (respondiendo a un mensaje o con un id), "
        "<code>/whitelist list</code>"
    ),
    "whitelist_added": "✅ {who} puede escribir sin unirse a los canales.",
    "whitelist_removed": "✅ {who} ya no está exento.",
    "whitelist_list": "Miembros exentos: {ids}",
    "whitelist_empty": "Nadie está exento.",
    "help": (
        "Mantengo este grupo para suscriptores de canales.\n"
        "/protect @canal [@canal2 …] — exigir canales (admins)\n"
        "/unprotect — parar y levantar mis silencios (admins)\n"
        "/status — qué se exige y quién está silenciado\n"
        "/settings — ver o cambiar ajustes (admins)\n"
        "/whitelist — miembros que no necesitan unirse (admins)"
    ),
    "start": (
        "¡Hola! Dejo escribir en un grupo solo a quienes están suscritos a los canales que "
        "el grupo exige.\nAñádeme a tu grupo como administrador, hazme administrador de tus "
        "canales y envía <code>/protect @canal</code> en el grupo.\n"
        '<a href="{add_link}">Añadirme a un grupo</a>'
    ),
    "join_request_dm": (
        "Para unirte a <b>{group}</b>, suscríbete primero a {channels}. "
        "Te dejaré entrar en cuanto te hayas unido."
    ),
    "join_request_declined": (
        "Tu solicitud para unirte a <b>{group}</b> caducó; puedes volver a pedirlo."
    ),
    "lost_group_rights": (
        "⚠️ Ya no puedo restringir miembros ni borrar mensajes aquí. "
        "Dame esos permisos de administrador o la protección dejará de funcionar."
    ),
    "lost_channel_rights": (
        "⚠️ Ya no soy administrador en {channel}, así que no puedo comprobar suscripciones. "
        "Hasta que lo arregles, dejo pasar a los miembros."
    ),
    "not_operator": "El panel de este bot es solo para sus operadores.",
    "login_link": (
        'Tu enlace de acceso (válido 5 minutos, una vez): <a href="{url}">abrir el panel</a>'
    ),
}

RU = {
    "group_notice": (
        "{mentions}: чтобы писать в <b>{group}</b>, сначала подпишитесь на {channels}. "
        "Писать можно сразу после подписки."
    ),
    "join_notice": (
        "{mention}, чтобы писать в <b>{group}</b>, сначала подпишитесь на {channels}, "
        "затем нажмите кнопку ниже."
    ),
    "join_button": "Подписаться: {title}",
    "joined_button": "✅ Я подписался",
    "not_your_button": ("Эта кнопка для {name}. Подпишитесь на каналы, и вы тоже сможете писать."),
    "still_missing": "Вы ещё не подписались: {channels}",
    "verified": "Спасибо! Теперь вы можете писать.",
    "throttled": "Минутку, проверю ещё раз через несколько секунд.",
    "cannot_check": "Telegram не ответил; попробуйте ещё раз через минуту.",
    "gone": "Это уведомление больше не действует.",
    "admins_only": "Только администраторы группы могут использовать {command}.",
    "protect_usage": (
        "Использование: <code>/protect @канал [@канал2 …]</code> — имена каналов или их id."
    ),
    "protected": "🛡 <b>{group}</b> защищена. Участники должны подписаться на: {channels}.",
    "protect_problems": "Я пока не могу защитить эту группу:\n{problems}",
    "need_group_rights": (
        "• сделайте меня администратором с правом ограничивать участников и удалять сообщения"
    ),
    "need_channel_admin": "• сделайте меня администратором в {channel}",
    "channel_not_found": ("• не могу найти канал {channel}: проверьте имя или добавьте меня туда"),
    "not_a_channel": "• {channel} — это не канал",
    "unprotected": "Защита выключена. Я снял ограничения, которые ставил: {count}.",
    "not_protected": "Эта группа не защищена. Начните с /protect @канал.",
    "status": (
        "🛡 <b>{group}</b>: защита <b>{state}</b>.\nТребуется: {channels}\n"
        "Сейчас ограничено мной: {muted}"
    ),
    "state_on": "включена",
    "state_off": "выключена",
    "settings": (
        "Настройки <b>{group}</b>:\n{lines}\n\n"
        "Изменить: <code>/settings имя значение</code>, например "
        "<code>/settings notice_ttl 120</code>."
    ),
    "settings_changed": "✅ {name} теперь {value}.",
    "settings_invalid": "Не получилось: {problem}",
    "settings_unknown": "Неизвестная настройка. Известные: {names}",
    "whitelist_usage": (
        "Использование: <code>/whitelist add|remove</code> (ответом на сообщение или с id), "
        "<code>/whitelist list</code>"
    ),
    "whitelist_added": "✅ {who} может писать без подписки на каналы.",
    "whitelist_removed": "✅ {who} больше не в исключениях.",
    "whitelist_list": "Исключения: {ids}",
    "whitelist_empty": "Исключений нет.",
    "help": (
        "Я оставляю эту группу для подписчиков каналов.\n"
        "/protect @канал [@канал2 …] — требовать каналы (админы)\n"
        "/unprotect — остановить и снять мои ограничения (админы)\n"
        "/status — что требуется и кто ограничен\n"
        "/settings — посмотреть или изменить настройки (админы)\n"
        "/whitelist — участники, которым не нужно подписываться (админы)"
    ),
    "start": (
        "Привет! Я разрешаю писать в группе только тем, кто подписан на каналы, которые "
        "требует группа.\nДобавьте меня в группу администратором, сделайте администратором "
        "своих каналов и отправьте <code>/protect @канал</code> в группе.\n"
        '<a href="{add_link}">Добавить в группу</a>'
    ),
    "join_request_dm": (
        "Чтобы вступить в <b>{group}</b>, сначала подпишитесь на {channels}. "
        "Я впущу вас, как только вы подпишетесь."
    ),
    "join_request_declined": (
        "Ваша заявка на вступление в <b>{group}</b> истекла; можно подать снова."
    ),
    "lost_group_rights": (
        "⚠️ Я больше не могу ограничивать участников и удалять сообщения здесь. "
        "Дайте мне эти права администратора, иначе защита не работает."
    ),
    "lost_channel_rights": (
        "⚠️ Я больше не администратор в {channel} и не могу проверять подписки. "
        "Пока это не исправлено, участники проходят без проверки."
    ),
    "not_operator": "Панель этого бота только для его операторов.",
    "login_link": 'Ссылка для входа (5 минут, один раз): <a href="{url}">открыть панель</a>',
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "de": DE, "es": ES, "ru": RU}
