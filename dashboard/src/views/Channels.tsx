import { useApp, useAsync } from "./hooks";
import { Empty, ErrorBox, Loading, PageHeader } from "./ui";

export function ChannelsPage() {
  const app = useApp();
  const list = useAsync(() => app.api.channels(), []);
  return (
    <section>
      <PageHeader title="Channels" />
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <Empty>No channel is required by any group yet. A group admin sends /protect @channel in the group.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="channels-table">
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Bot</th>
                <th scope="col">Required by</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={`${c.bot_id}:${c.chat_id}`}>
                  <td>
                    {c.title}
                    {c.username && <span class="muted"> @{c.username}</span>}
                    <div class="muted mono">{c.chat_id}</div>
                  </td>
                  <td>
                    <a href={`#/bots/${c.bot_id}`}>{c.bot_id}</a>
                  </td>
                  <td>
                    <ul class="plain">
                      {c.groups.map((g) => (
                        <li key={g.chat_id}>
                          <a href={`#/groups/${c.bot_id}/${g.chat_id}`}>{g.title}</a>
                          {!g.enabled && <span class="pill"> off</span>}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
