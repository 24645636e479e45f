// The caller's campaigns (`/campaigns`), and a form to start one.
import { useEffect, useState } from 'react';
import {
  Alert,
  Button,
  Card,
  CardContent,
  Container,
  Link,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { createCampaign, listCampaigns, type Campaign } from '../api/campaigns';

export const campaignUrl = (id: string) => `/campaign?id=${encodeURIComponent(id)}`;

export function CampaignsPage() {
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [instructions, setInstructions] = useState('');
  const [replicas, setReplicas] = useState('1');
  const [reviewShare, setReviewShare] = useState('1');
  useEffect(() => {
    listCampaigns().then(setCampaigns, (e: Error) => setError(e.message));
  }, []);
  const create = async () => {
    try {
      const made = await createCampaign({
        name,
        instructions,
        replicas: Number(replicas),
        review_share: Number(reviewShare),
      });
      window.location.assign(campaignUrl(made.id));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Container maxWidth="md" sx={{ py: 3 }}>
      <Typography variant="h4" gutterBottom>
        Campaigns
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      <Stack spacing={1} sx={{ my: 2 }} data-testid="campaign-list">
        {campaigns.length === 0 && <Typography>No campaigns yet.</Typography>}
        {campaigns.map((c) => (
          <Card key={c.id} variant="outlined">
            <CardContent>
              <Link href={campaignUrl(c.id)} variant="h6">
                {c.name}
              </Link>
              <Typography variant="body2" color="text.secondary">
                {c.role} · {c.counts.new} new · {c.counts.in_progress} in progress ·{' '}
                {c.counts.submitted} submitted · {c.counts.accepted} accepted
              </Typography>
            </CardContent>
          </Card>
        ))}
      </Stack>
      <Typography variant="h6">New campaign</Typography>
      <Stack spacing={2} sx={{ mt: 1 }}>
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} />
        <TextField
          label="Instructions (Markdown)"
          multiline
          minRows={3}
          value={instructions}
          onChange={(e) => setInstructions(e.target.value)}
        />
        <Stack direction="row" spacing={2}>
          <TextField
            label="Replicas (1-5)"
            type="number"
            value={replicas}
            onChange={(e) => setReplicas(e.target.value)}
          />
          <TextField
            label="Share reviewed (0-1)"
            type="number"
            value={reviewShare}
            onChange={(e) => setReviewShare(e.target.value)}
          />
        </Stack>
        <Button variant="contained" onClick={create} disabled={!name.trim()}>
          Create campaign
        </Button>
      </Stack>
    </Container>
  );
}
