// A small synthetic intent training set (`parley intents train --examples`):
// three intents (card_lost, refund_request, change_address), varied
// phrasings, as CSV text. Shared by the tests that need a model.
export function intentTrainingCsv() {
  const rows = ['text,label'];
  const intents = {
    card_lost: ['i lost my card', 'my card is missing', 'cannot find my card anywhere', 'my card was stolen',
      'someone stole my card', 'lost card please block it', 'i misplaced my bank card', 'block my lost card'],
    refund_request: ['i want a refund', 'please refund my money', 'refund the charge', 'give me my money back',
      'i need a refund for this order', 'how do i get a refund', 'can you refund me', 'refund please'],
    change_address: ['i moved and need to change my address', 'update my home address', 'change my postal address',
      'my address changed', 'new address for my account', 'how do i update my address', 'edit my address', 'address update'],
  };
  for (let round = 0; round < 4; round++) {
    for (const [label, texts] of Object.entries(intents)) {
      for (const t of texts) rows.push(`${round ? t + ' ' + ['now', 'today', 'thanks', 'asap'][round] : t},${label}`);
    }
  }
  return rows.join('\n') + '\n';
}
